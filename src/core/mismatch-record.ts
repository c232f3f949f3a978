import { isJsonObject } from "./is-json-object.js";
import { isMismatchEvent, type MismatchEvent } from "./mismatch-event.js";
import { MismatchState } from "./mismatch-state.js";
import { eventEpoch, type AffectedCount } from "./mismatch-transition.js";

/**
 * What the mismatch of one scope was when last decided; one KV entry per scope, written with CAS.
 * The record is also the outbox of its transition's event: it carries the event to deliver and who
 * wrote it, so that any instance can finish a delivery another one started.
 */
export interface MismatchRecord {
  /** "system", or "cluster:<name>". */
  readonly scope: string;
  readonly state: MismatchState;
  readonly target: string | null;
  /** Distinct versions, newest first. */
  readonly versions: readonly string[];
  /** Outlier names, sorted. */
  readonly outliers: readonly string[];
  /** Versions known advisories affect, and how many servers ran each, when last written. */
  readonly affected?: readonly AffectedCount[];
  /** When the current mismatch began; undefined while consistent. */
  readonly since?: number;
  /** Transitions so far; the event's `seq`, part of every event id. */
  readonly seq: number;
  /** When this scope's chain of records began; part of every event id, so ids never repeat. */
  readonly epoch: number;
  readonly updatedAt: number;
  /** Which instance's write this is (instance id and write number): "did my write land" without comparing contents. */
  readonly writer?: string;
  /** The event of this record's transition, delivered to the event stream (idempotently) by any instance. */
  readonly event?: MismatchEvent;
}

export const SYSTEM_SCOPE = "system";
const CLUSTER_PREFIX = "cluster:";
export const clusterScope = (cluster: string) => `${CLUSTER_PREFIX}${cluster}`;
/** The cluster a scope is about; undefined for the system scope (or anything that is not a cluster's). */
export const clusterOfScope = (scope: string): string | undefined => (scope.startsWith(CLUSTER_PREFIX) ? scope.slice(CLUSTER_PREFIX.length) : undefined);

export const MISMATCH_RECORD_SCHEMA = 2;

export function encodeMismatchRecord(r: MismatchRecord): string {
  return JSON.stringify({ schema: MISMATCH_RECORD_SCHEMA, ...r });
}

const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
/**
 * Reads a stored record back; undefined when it does not decode (it is then rewritten). Records of
 * schema 1 (before the outbox) carry no event and start their epoch at their last update.
 */
export function decodeMismatchRecord(bytes: Uint8Array): MismatchRecord | undefined {
  let o: unknown;
  try {
    o = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (
    !isJsonObject(o) ||
    (o["schema"] !== MISMATCH_RECORD_SCHEMA && o["schema"] !== 1) ||
    typeof o["scope"] !== "string" ||
    !Object.values(MismatchState).includes(o["state"] as MismatchState) ||
    !(o["target"] === null || typeof o["target"] === "string") ||
    !strings(o["versions"]) || !strings(o["outliers"]) ||
    !(o["since"] === undefined || num(o["since"])) ||
    !(o["affected"] === undefined || (Array.isArray(o["affected"]) && o["affected"].every((a) => isJsonObject(a) && typeof a["version"] === "string" && num(a["servers"])))) ||
    !num(o["seq"]) || !num(o["updatedAt"])
  ) {
    return undefined;
  }
  if (o["schema"] === 1) {
    const { schema: _s, eventId: _e, ...record } = o;
    return { ...record, epoch: o["updatedAt"] } as unknown as MismatchRecord;
  }
  if (!num(o["epoch"]) || !(o["writer"] === undefined || typeof o["writer"] === "string") || !(o["event"] === undefined || isMismatchEvent(o["event"]))) {
    return undefined;
  }
  const { schema: _schema, ...record } = o;
  return record as unknown as MismatchRecord;
}

/**
 * The record an event was the transition of, rebuilt from the event alone: for a stored record
 * that went back (a write that landed late) while the event stream holds the newer transition.
 * Outliers beyond the event's list (outliers_omitted) are not known.
 */
export function recordFromEvent(e: MismatchEvent): MismatchRecord {
  const since = e.since === null ? undefined : Date.parse(e.since);
  return {
    scope: e.scope,
    state: e.state,
    target: e.target,
    versions: e.versions.map((v) => v.version),
    outliers: e.outliers.map((o) => o.name).sort(),
    ...(e.affected_versions ? { affected: e.affected_versions.map((a) => ({ version: a.version, servers: a.servers })) } : {}),
    ...(since !== undefined && Number.isFinite(since) ? { since } : {}),
    seq: e.seq,
    epoch: eventEpoch(e.id),
    updatedAt: Date.parse(e.at),
    event: e,
  };
}
