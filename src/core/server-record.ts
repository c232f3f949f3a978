import { ObservationKind, type ServerObservation } from "./observation.js";
import { compareVersions, parseVersion } from "./version.js";

export const ServerState = {
  Running: "running",
  LameDuck: "lame-duck",
  ShutDown: "shut-down",
} as const;
export type ServerState = (typeof ServerState)[keyof typeof ServerState];

export const VersionChangeKind = {
  FirstSeen: "first-seen",
  Upgrade: "upgrade",
  Downgrade: "downgrade",
  /** Same release, different build metadata. */
  Rebuild: "rebuild",
} as const;
export type VersionChangeKind = (typeof VersionChangeKind)[keyof typeof VersionChangeKind];

export interface VersionChange {
  readonly kind: VersionChangeKind;
  readonly version: string;
  readonly from?: string;
  /** ms since epoch */
  readonly at: number;
}

/** Everything the monitor keeps about one server; one KV entry each. Times are ms since epoch. */
export interface ServerRecord {
  readonly name: string;
  /** The current process's id; it changes at every restart, the name does not. */
  readonly id: string;
  readonly cluster: string;
  readonly domain: string;
  readonly host: string;
  readonly version: string;
  readonly go?: string;
  readonly gitCommit?: string;
  readonly startedAt?: number;
  readonly firstSeen: number;
  /** When the current version was first seen on this server. */
  readonly versionSince: number;
  /** The one field the fleet moves in place, on an advertisement that repeats the rest (see Fleet). */
  readonly lastSeen: number;
  readonly state: ServerState;
  readonly stateSince: number;
  /** Oldest first; the first entry is when the monitor first saw the server. */
  readonly history: readonly VersionChange[];
  /** A leaf node (its VARZ lists leafnode remotes); absent for a hub server. */
  readonly leaf?: true;
}

/** Orders records by server name, for listings that must be stable. */
export const compareByName = (a: ServerRecord, b: ServerRecord): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** History beyond this many changes keeps its first entry and the most recent ones. */
export const MAX_HISTORY = 32;

export interface ObservationResult {
  readonly record: ServerRecord;
  /** True when something worth persisting changed; a last-seen refresh alone is not. */
  readonly material: boolean;
}

const stateAfter: Record<ObservationKind, ServerState> = {
  stats: ServerState.Running,
  varz: ServerState.Running,
  "lame-duck": ServerState.LameDuck,
  shutdown: ServerState.ShutDown,
};

function versionChangeKind(from: string, to: string): VersionChangeKind {
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (!a || !b) return VersionChangeKind.Upgrade;
  if (a.semver.compare(b.semver) === 0) return VersionChangeKind.Rebuild;
  return compareVersions(b, a) > 0 ? VersionChangeKind.Upgrade : VersionChangeKind.Downgrade;
}

/** Keeps the first entry (first seen) and the most recent ones. */
export function capHistory(history: VersionChange[]): VersionChange[] {
  if (history.length <= MAX_HISTORY) return history;
  return [history[0]!, ...history.slice(history.length - (MAX_HISTORY - 1))];
}

function newRecord(obs: ServerObservation, now: number): ServerRecord {
  return {
    name: obs.name,
    id: obs.id,
    cluster: obs.cluster,
    domain: obs.domain,
    host: obs.host,
    version: obs.version.text,
    ...(obs.go !== undefined ? { go: obs.go } : {}),
    ...(obs.gitCommit !== undefined ? { gitCommit: obs.gitCommit } : {}),
    ...(obs.startedAt !== undefined ? { startedAt: obs.startedAt } : {}),
    ...(obs.leaf ? { leaf: true as const } : {}),
    firstSeen: now,
    versionSince: now,
    lastSeen: now,
    state: stateAfter[obs.kind],
    stateSince: now,
    history: [{ kind: VersionChangeKind.FirstSeen, version: obs.version.text, at: now }],
  };
}

/**
 * Folds one observation into a server's record. A new process (new id) resets the state to what the
 * observation says; lame-duck and shutdown events of a previous process are history, not news.
 */
export function applyObservation(prev: ServerRecord | undefined, obs: ServerObservation, now: number): ObservationResult {
  if (!prev) return { record: newRecord(obs, now), material: true };

  // The common case by far: the same process advertising the same facts again.
  if (isRepeat(prev, obs)) return { record: { ...prev, lastSeen: Math.max(prev.lastSeen, now) }, material: false };

  const newProcess = obs.id !== prev.id;
  if (newProcess && (obs.kind === ObservationKind.LameDuck || obs.kind === ObservationKind.Shutdown)) {
    return { record: prev, material: false };
  }
  // A lame-duck server keeps advertising until it exits; that does not make it running again.
  const state =
    !newProcess && prev.state !== ServerState.Running && stateAfter[obs.kind] === ServerState.Running
      ? prev.state
      : stateAfter[obs.kind];
  const version = obs.version.text;
  const versionChanged = version !== prev.version;
  const changedAt = versionChanged ? versionChangedAt(prev, obs, newProcess, now) : now;

  // go and git commit belong to a process: a new one must answer VARZ before they are known again.
  const { go, gitCommit, leaf: wasLeaf, ...base } = prev;
  // Only VARZ says whether a server is a leaf; other observations keep what it said.
  const leaf = obs.leaf ?? wasLeaf === true;
  const buildInfo = newProcess ? {} : { ...(go !== undefined ? { go } : {}), ...(gitCommit !== undefined ? { gitCommit } : {}) };
  const next: ServerRecord = {
    ...base,
    ...buildInfo,
    id: obs.id,
    cluster: obs.cluster,
    domain: obs.domain,
    host: obs.host,
    version,
    ...(obs.go !== undefined ? { go: obs.go } : {}),
    ...(obs.gitCommit !== undefined ? { gitCommit: obs.gitCommit } : {}),
    ...(obs.startedAt !== undefined ? { startedAt: obs.startedAt } : {}),
    ...(leaf ? { leaf: true as const } : {}),
    versionSince: versionChanged ? changedAt : prev.versionSince,
    lastSeen: Math.max(prev.lastSeen, now),
    state,
    stateSince: state !== prev.state ? now : prev.stateSince,
    history: versionChanged
      ? capHistory([...prev.history, { kind: versionChangeKind(prev.version, version), version, from: prev.version, at: changedAt }])
      : prev.history,
  };
  return { record: next, material: isMaterialChange(prev, next) };
}

/**
 * When a server changed version. A new process on another version changed it when it started
 * (its own clock, kept between the last sighting of the old process and now): seen later, by an
 * instance that started meanwhile or whose write of the change was lost, the change must not look
 * as if it had just happened. Otherwise, when it was seen.
 */
function versionChangedAt(prev: ServerRecord, obs: ServerObservation, newProcess: boolean, now: number): number {
  if (!newProcess || obs.startedAt === undefined) return now;
  return Math.min(now, Math.max(prev.lastSeen, obs.startedAt));
}

/** What a repeated advertisement is compared on: a record, or the fleet's slot of one (see ServerTable). */
export interface RepeatFacts {
  readonly id: string;
  readonly version: string;
  readonly cluster: string;
  readonly domain: string;
  readonly host: string;
  readonly startedAt?: number | undefined;
  readonly go?: string | undefined;
  readonly gitCommit?: string | undefined;
  readonly leaf?: true | undefined;
}

/** What the observation says is what the record says: only last-seen moves. */
export function isRepeat(prev: RepeatFacts, obs: ServerObservation): boolean {
  return (
    obs.id === prev.id &&
    obs.version.text === prev.version &&
    (obs.kind === ObservationKind.Stats || obs.kind === ObservationKind.Varz) &&
    obs.cluster === prev.cluster &&
    obs.domain === prev.domain &&
    obs.host === prev.host &&
    (obs.startedAt === undefined || obs.startedAt === prev.startedAt) &&
    (obs.go === undefined || obs.go === prev.go) &&
    (obs.gitCommit === undefined || obs.gitCommit === prev.gitCommit) &&
    (obs.leaf === undefined || obs.leaf === (prev.leaf === true))
  );
}

const materialFields = ["id", "cluster", "domain", "host", "version", "go", "gitCommit", "startedAt", "state", "leaf"] as const;

function isMaterialChange(prev: ServerRecord, next: ServerRecord): boolean {
  return materialFields.some((f) => prev[f] !== next[f]);
}
