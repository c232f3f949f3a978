import { isoTime as iso, parseIsoTime } from "./iso-time.js";
import { MAX_HISTORY, ServerState, VersionChangeKind, type ServerRecord, type VersionChange } from "./server-record.js";
import { parseVersion } from "./version.js";

/**
 * The JSON a record is stored as in KV. Times are ISO-8601 strings so that `nats kv get` is
 * readable by an operator; the schema number lets a later release migrate old entries.
 */
export const RECORD_SCHEMA = 1;


export function encodeServerRecord(r: ServerRecord): string {
  return JSON.stringify({
    schema: RECORD_SCHEMA,
    name: r.name,
    id: r.id,
    cluster: r.cluster,
    domain: r.domain,
    host: r.host,
    version: r.version,
    go: r.go,
    git_commit: r.gitCommit,
    started_at: r.startedAt === undefined ? undefined : iso(r.startedAt),
    first_seen: iso(r.firstSeen),
    version_since: iso(r.versionSince),
    last_seen: iso(r.lastSeen),
    state: r.state,
    state_since: iso(r.stateSince),
    history: r.history.map((h) => ({ kind: h.kind, version: h.version, from: h.from, at: iso(h.at) })),
    leaf: r.leaf,
  });
}

/** Why a stored entry could not be read back. */
export class RecordDecodeError extends Error {
  override name = "RecordDecodeError";
}

type Json = Record<string, unknown>;

function str(o: Json, k: string, optional = false): string | undefined {
  const v = o[k];
  if (v === undefined && optional) return undefined;
  if (typeof v !== "string") throw new RecordDecodeError(`field "${k}" must be a string`);
  return v;
}

function time(o: Json, k: string, optional = false): number | undefined {
  const v = str(o, k, optional);
  if (v === undefined) return undefined;
  const ms = parseIsoTime(v);
  if (Number.isNaN(ms)) throw new RecordDecodeError(`field "${k}" is not a time: ${JSON.stringify(v.slice(0, 40))}`);
  return ms;
}

const known = new Map<object, ReadonlySet<string>>();

function oneOf<T extends string>(values: Record<string, T>, v: unknown, k: string): T {
  let set = known.get(values);
  if (!set) known.set(values, (set = new Set(Object.values(values))));
  if (typeof v !== "string" || !set.has(v)) throw new RecordDecodeError(`field "${k}" has an unknown value`);
  return v as T;
}

/**
 * Versions already checked, by their stored text: a fleet runs a handful of versions, and parsing
 * each of 100,000 records' versions again was a third of a cold start's decoding.
 */
const checkedVersions = new Map<string, string>();

function version(o: Json, k: string): string {
  const text = str(o, k)!;
  const held = checkedVersions.get(text);
  if (held !== undefined) return held;
  const v = parseVersion(text);
  if (!v) throw new RecordDecodeError(`field "${k}" is not a version`);
  if (checkedVersions.size >= 1024) checkedVersions.clear();
  checkedVersions.set(text, v.text);
  return v.text;
}

const utf8 = new TextDecoder();

function change(v: unknown): VersionChange {
  if (typeof v !== "object" || v === null) throw new RecordDecodeError("history entries must be objects");
  const o = v as Json;
  const from = o["from"] === undefined ? undefined : version(o, "from");
  return {
    kind: oneOf(VersionChangeKind, o["kind"], "history.kind"),
    version: version(o, "version"),
    ...(from !== undefined ? { from } : {}),
    at: time(o, "at")!,
  };
}

/** Reads a stored entry back, validating every field; throws RecordDecodeError when it cannot. */
export function decodeServerRecord(bytes: Uint8Array | string): ServerRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof bytes === "string" ? bytes : utf8.decode(bytes));
  } catch {
    throw new RecordDecodeError("not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new RecordDecodeError("not an object");
  const o = parsed as Json;
  if (o["schema"] !== RECORD_SCHEMA) throw new RecordDecodeError(`unknown schema ${JSON.stringify(o["schema"])}`);
  const history = o["history"];
  if (!Array.isArray(history) || history.length === 0 || history.length > MAX_HISTORY) {
    throw new RecordDecodeError("history must be a non-empty array");
  }
  const go = str(o, "go", true);
  const gitCommit = str(o, "git_commit", true);
  const startedAt = time(o, "started_at", true);
  return {
    name: str(o, "name")!,
    id: str(o, "id")!,
    cluster: str(o, "cluster")!,
    domain: str(o, "domain")!,
    host: str(o, "host")!,
    version: version(o, "version"),
    ...(go !== undefined ? { go } : {}),
    ...(gitCommit !== undefined ? { gitCommit } : {}),
    ...(startedAt !== undefined ? { startedAt } : {}),
    firstSeen: time(o, "first_seen")!,
    versionSince: time(o, "version_since")!,
    lastSeen: time(o, "last_seen")!,
    state: oneOf(ServerState, o["state"], "state"),
    stateSince: time(o, "state_since")!,
    history: history.map(change),
    ...(o["leaf"] === true ? { leaf: true as const } : {}),
  };
}
