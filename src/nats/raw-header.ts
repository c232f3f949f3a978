import type { Msg } from "@nats-io/nats-core";
import type { JsMsg } from "@nats-io/jetstream";

/** The parts of a nats.js 3 message (MsgImpl) that hold its raw header block. */
interface RawShape {
  readonly _rdata?: unknown;
  readonly _msg?: { readonly hdr?: unknown };
}

const CR = 13;
const LF = 10;
const COLON = 58;
const SPACE = 32;
const TAB = 9;
const decoder = new TextDecoder();

/**
 * The message's raw header block (`NATS/1.0\r\nName: value\r\n…`): null when it has none,
 * undefined when the client's message does not have the shape this reads (another nats.js).
 */
export function rawHeaderBlock(msg: unknown): Uint8Array | null | undefined {
  const m = msg as RawShape;
  const hdr = m?._msg?.hdr;
  if (typeof hdr !== "number") return undefined;
  if (hdr < 0) return null;
  return m._rdata instanceof Uint8Array && m._rdata.length >= hdr ? m._rdata.subarray(0, hdr) : undefined;
}

/**
 * One header's first value, read from the raw block. nats.js decodes every header of a message to
 * read one of them (MsgHdrsImpl.decode: ~35 µs for the seven of a republished event), and reading
 * the ids of 33,000 events that way took a second of a start. Names match exactly, as the client's
 * `get` matches them; the value is trimmed, and an empty one is none. Falls back to the client's
 * headers when the message's shape is not the one this reads.
 */
export function headerOf(msg: unknown, name: string, fallback: () => string | undefined): string | undefined {
  const block = rawHeaderBlock(msg);
  if (block === undefined) return fallback();
  if (block === null) return undefined;
  return findHeader(block, name);
}

/** The first value of `name` in a raw header block; undefined when absent or empty (as `get(name) || undefined` reads it). */
export function findHeader(block: Uint8Array, name: string): string | undefined {
  const n = name.length;
  // The first line is the status line (NATS/1.0 …): headers start after it.
  let line = block.indexOf(LF) + 1;
  while (line > 0 && line < block.length) {
    let end = block.indexOf(LF, line);
    if (end < 0) end = block.length;
    if (block[line + n] === COLON && sameName(block, line, name)) {
      let from = line + n + 1;
      let to = end > line && block[end - 1] === CR ? end - 1 : end;
      while (from < to && (block[from] === SPACE || block[from] === TAB)) from++;
      while (to > from && (block[to - 1] === SPACE || block[to - 1] === TAB)) to--;
      return to > from ? decoder.decode(block.subarray(from, to)) : undefined;
    }
    line = end + 1;
  }
  return undefined;
}

function sameName(block: Uint8Array, at: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if (block[at + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** One header of a message, read from its raw block (see headerOf). */
export function msgHeader(m: Msg, name: string): string | undefined {
  return headerOf(m, name, () => m.headers?.get(name) || undefined);
}

/** One header of a JetStream message: the core message it wraps (nats.js 3 keeps it as `msg`) is read. */
export function jsMsgHeader(m: JsMsg, name: string): string | undefined {
  return headerOf((m as unknown as { readonly msg?: unknown }).msg, name, () => m.headers?.get(name) || undefined);
}
