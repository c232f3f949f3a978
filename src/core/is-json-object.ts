/** A parsed JSON value that is an object (not null, not an array): untrusted input's first check. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
