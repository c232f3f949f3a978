/**
 * KV keys for servers: a stable, reversible encoding of the server name (ids change at every
 * restart, names stay). Letters, digits, `-` and `_` stand for themselves, so typical names stay
 * readable in `nats kv ls`; every other byte of the UTF-8 name becomes `=XX` (upper-case hex).
 * The result only uses characters NATS allows in KV keys and never contains `.`, so one server is
 * one key token under the `servers.` prefix.
 */
export const SERVER_KEY_PREFIX = "servers.";

const plain = /[A-Za-z0-9_-]/;

export function encodeServerKey(name: string): string {
  return SERVER_KEY_PREFIX + encodeKeyToken(name);
}

/** One KV key token for any non-empty text, reversible (see above). */
export function encodeKeyToken(name: string): string {
  if (name.length === 0) throw new Error("a key token must not be empty");
  let out = "";
  for (const ch of name) {
    if (plain.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, "utf8")) out += `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The inverse of encodeServerKey; undefined for keys it did not produce. */
export function decodeServerKey(key: string): string | undefined {
  return key.startsWith(SERVER_KEY_PREFIX) ? decodeKeyToken(key.slice(SERVER_KEY_PREFIX.length)) : undefined;
}

/** The inverse of encodeKeyToken; undefined for tokens it did not produce. */
export function decodeKeyToken(body: string): string | undefined {
  if (!/^(?:[A-Za-z0-9_-]|=[0-9A-F]{2})+$/.test(body)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < body.length; ) {
    if (body[i] === "=") {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(body.charCodeAt(i));
      i += 1;
    }
  }
  let name: string;
  try {
    name = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  return name.length > 0 && encodeKeyToken(name) === body ? name : undefined;
}
