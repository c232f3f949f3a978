import { MismatchState } from "./mismatch-state.js";
import type { MismatchRecord } from "./mismatch-record.js";

export const MismatchEventType = {
  Detected: "detected",
  /** The versions or the outliers changed, or an upgrade resumed. */
  Changed: "changed",
  Stalled: "stalled",
  Stale: "stale",
  Resolved: "resolved",
  /** More servers run a version known advisories affect, and nothing else changed to say so. */
  Affected: "affected",
} as const;
export type MismatchEventType = (typeof MismatchEventType)[keyof typeof MismatchEventType];

/** What a scope looks like now, as the classification says. */
export interface ScopeView {
  readonly scope: string;
  readonly state: MismatchState;
  readonly target: string | null;
  readonly versions: readonly string[];
  readonly outliers: readonly string[];
  /** The classification's start of the mismatch (an estimate when no record knew it). */
  readonly since: number | undefined;
  /** Versions present that known advisories affect, with how many servers run each (sorted by version). */
  readonly affected?: readonly AffectedCount[];
}

export interface AffectedCount {
  readonly version: string;
  readonly servers: number;
}

/** Whether `now` has a version that `before` did not, or more servers on one it had. */
export function affectedGrew(before: readonly AffectedCount[] | undefined, now: readonly AffectedCount[] | undefined): boolean {
  const had = new Map((before ?? []).map((a) => [a.version, a.servers]));
  return (now ?? []).some((a) => a.servers > (had.get(a.version) ?? 0));
}

export interface Transition {
  readonly record: MismatchRecord;
  /** Absent when the record changes without anything to announce (first sight of a consistent scope). */
  readonly event?: { readonly type: MismatchEventType; readonly id: string };
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Stable per transition (the same on every instance that decides it), never reused: a scope's
 * chain of records keeps its epoch, and its sequence only grows. It is the `Nats-Msg-Id` the event
 * stream deduplicates on.
 */
export function mismatchEventId(scope: string, epoch: number, seq: number): string {
  return `${scope}.${epoch}.${seq}`;
}

/** `scope.epoch` of an event id: the chain of records the event belongs to. */
export function eventChain(id: string): string {
  return id.slice(0, id.lastIndexOf("."));
}

/** The epoch part of an event id (scopes may contain dots; the epoch and seq never do). */
export function eventEpoch(id: string): number {
  const chain = eventChain(id);
  return Number(chain.slice(chain.lastIndexOf(".") + 1));
}

function eventType(prev: MismatchRecord | undefined, view: ScopeView): MismatchEventType | undefined {
  const was = prev !== undefined && prev.state !== MismatchState.Consistent;
  const is = view.state !== MismatchState.Consistent;
  if (!was && is) return MismatchEventType.Detected;
  if (was && !is) return MismatchEventType.Resolved;
  if (!was || !is) return undefined;
  if (view.state !== prev.state && view.state === MismatchState.Stale) return MismatchEventType.Stale;
  if (view.state !== prev.state && view.state === MismatchState.Stalled) return MismatchEventType.Stalled;
  if (view.state !== prev.state || !same(prev.versions, view.versions) || !same(prev.outliers, view.outliers)) {
    return MismatchEventType.Changed;
  }
  return undefined;
}

/**
 * Decides whether a scope moved, and how: the durable record to write and the event to publish.
 * Undefined when nothing worth writing changed. A mismatch keeps the start time of its record;
 * a new one starts no earlier than the last record that said the scope was consistent.
 * `deliveredSeq` is the highest sequence of this scope already in the event stream: the next one
 * is above it even if the stored record went back (a write landing late while leaders move).
 */
export function nextTransition(prev: MismatchRecord | undefined, view: ScopeView, now: number, deliveredSeq = 0): Transition | undefined {
  // First sight announces nothing new about advisories: the report says what applies.
  const type = eventType(prev, view) ?? (prev !== undefined && affectedGrew(prev.affected, view.affected) ? MismatchEventType.Affected : undefined);
  const affected = view.affected !== undefined ? { affected: view.affected } : {};
  const epoch = prev?.epoch ?? now;
  if (type === undefined) {
    // A scope seen for the first time, consistent: remembered, not announced.
    if (prev !== undefined) return undefined;
    return { record: { scope: view.scope, state: view.state, target: view.target, versions: view.versions, outliers: view.outliers, ...affected, seq: deliveredSeq, epoch, updatedAt: now } };
  }
  const since =
    view.state === MismatchState.Consistent
      ? undefined
      : prev?.since ?? Math.max(view.since ?? now, prev?.updatedAt ?? Number.NEGATIVE_INFINITY);
  const seq = Math.max(prev?.seq ?? 0, deliveredSeq) + 1;
  const id = mismatchEventId(view.scope, epoch, seq);
  return {
    record: {
      scope: view.scope,
      state: view.state,
      target: view.target,
      versions: view.versions,
      outliers: view.outliers,
      ...affected,
      ...(since !== undefined ? { since } : {}),
      seq,
      epoch,
      updatedAt: now,
    },
    event: { type, id },
  };
}
