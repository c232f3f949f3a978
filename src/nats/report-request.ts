import type { ReportQuery } from "../core/version-report.js";

/** Why a `versions.report` request body was refused; answered as a micro error 400. */
export class RequestError extends Error {
  override name = "RequestError";
  constructor(
    message: string,
    readonly code = 400,
  ) {
    super(message);
  }
}

/** A request is a small JSON object; anything bigger is not a question for this endpoint. */
export const MAX_REQUEST_BYTES = 4096;
export const MAX_PAGE_SIZE = 1000;
const fields = ["cluster", "server", "page", "page_size"] as const;

export function name(v: unknown, k: string): string {
  if (typeof v !== "string" || v.length === 0 || v.length > 256) {
    throw new RequestError(`"${k}" must be a non-empty string of at most 256 characters`);
  }
  return v;
}

export function positive(v: unknown, k: string, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    throw new RequestError(`"${k}" must be an integer from 1 to ${max}`);
  }
  return v;
}

/**
 * A request body: empty (or whitespace) means no filter, as `nats req versions.report ''` sends it.
 * Anything present must be a JSON object with only the given fields.
 */
export function requestObject(data: Uint8Array, fields: readonly string[]): Record<string, unknown> {
  if (data.length > MAX_REQUEST_BYTES) throw new RequestError(`request body of ${data.length} bytes is larger than ${MAX_REQUEST_BYTES}`, 413);
  const body = new TextDecoder().decode(data).trim();
  if (body === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RequestError("request body is not JSON: send {} or an object such as {\"cluster\":\"east\"}");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new RequestError("request body must be a JSON object");
  }
  const o = parsed as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !fields.includes(k));
  if (unknown.length > 0) {
    throw new RequestError(`unknown field ${JSON.stringify(unknown[0]!.slice(0, 40))}: allowed are ${fields.join(", ")}`);
  }
  return o;
}

/** Parses a `versions.report` request body. */
export function parseReportRequest(data: Uint8Array): ReportQuery {
  const o = requestObject(data, fields);
  return {
    ...(o["cluster"] !== undefined ? { cluster: name(o["cluster"], "cluster") } : {}),
    ...(o["server"] !== undefined ? { server: name(o["server"], "server") } : {}),
    ...(o["page"] !== undefined ? { page: positive(o["page"], "page", 1_000_000) } : {}),
    ...(o["page_size"] !== undefined ? { pageSize: positive(o["page_size"], "page_size", MAX_PAGE_SIZE) } : {}),
  };
}
