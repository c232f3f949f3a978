import { classifyScope, type MismatchClassification } from "./classify-mismatch.js";
import { partOf, type ClusterDigest, type ScopePart } from "./cluster-digest.js";
import { mergeFacts } from "./scope-facts.js";
import type { Fleet } from "./fleet.js";
import { policyFor, ScopeRole, type MismatchPolicy } from "./mismatch-policy.js";
import { clusterScope, SYSTEM_SCOPE } from "./mismatch-record.js";
import type { ScopeView } from "./mismatch-transition.js";
import type { ServerRecord } from "./server-record.js";
import { recordIn, recordsByName, summarizeBuckets, type RecordOf, type VersionSummary } from "./version-summary.js";

/** One scope (the whole system, or one cluster) as of `now`: members, versions, classification. */
export interface ScopeAnalysis {
  readonly scope: string;
  readonly cluster?: string;
  /** A leaf cluster (or leaf server) is judged on its own, by the leaf policy. */
  readonly role: ScopeRole;
  /** How many servers the scope judges. */
  readonly size: number;
  readonly summary: VersionSummary;
  readonly classification: MismatchClassification;
}

/** The durable start of a scope's current mismatch, where one is recorded. */
export type SinceOf = (scope: string) => number | undefined;

export function analyzeScope(
  scope: string,
  members: readonly ServerRecord[],
  now: number,
  policy: MismatchPolicy,
  sinceOf: SinceOf,
  cluster?: string,
  role: ScopeRole = ScopeRole.Hub,
): ScopeAnalysis {
  return analyzeParts(scope, [partOf(members)], recordsByName(members), now, policy, sinceOf, cluster, role);
}

/** A scope made of parts (see ClusterDigest); `maxNames` bounds the names its version groups list. */
export function analyzeParts(
  scope: string,
  parts: readonly ScopePart[],
  recordOf: RecordOf,
  now: number,
  policy: MismatchPolicy,
  sinceOf: SinceOf,
  cluster?: string,
  role: ScopeRole = ScopeRole.Hub,
  maxNames?: number,
): ScopeAnalysis {
  return judged(scope, parts, summarizeBuckets(parts.map((p) => p.buckets), recordOf, maxNames), now, policy, sinceOf, cluster, role);
}

/** A cluster's own scope, from its digest. */
export function analyzeCluster(d: ClusterDigest, now: number, policy: MismatchPolicy, sinceOf: SinceOf): ScopeAnalysis {
  return judged(clusterScope(d.cluster), [d.all], d.summary, now, policy, sinceOf, d.cluster, d.role);
}

function judged(
  scope: string,
  parts: readonly ScopePart[],
  summary: VersionSummary,
  now: number,
  policy: MismatchPolicy,
  sinceOf: SinceOf,
  cluster: string | undefined,
  role: ScopeRole,
): ScopeAnalysis {
  const classification = classifyScope(mergeFacts(parts.map((p) => p.facts)), summary, sinceOf(scope), now, policyFor(policy, role));
  return {
    scope,
    ...(cluster !== undefined ? { cluster } : {}),
    role,
    size: parts.reduce((n, p) => n + p.count, 0),
    summary,
    classification,
  };
}

/** The parts the system scope judges: the hub's servers (every server where there is no hub). */
export function systemParts(digests: readonly ClusterDigest[]): ScopePart[] {
  const hub = digests.map((d) => d.hub).filter((p) => p.count > 0);
  return hub.length > 0 ? hub : digests.map((d) => d.all).filter((p) => p.count > 0);
}

/** Every cluster's digest as of `now`, by cluster name. */
export function digestsOf(fleet: Fleet, now: number): ClusterDigest[] {
  const out: ClusterDigest[] = [];
  for (const name of fleet.clusterNames()) {
    const d = fleet.digest(name, now);
    if (d && d.live.length + d.offline.length > 0) out.push(d);
  }
  return out.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
}

/** The whole system (the hub's servers) first, then every cluster, hub or leaf, that has members now. */
export function analyzeScopes(fleet: Fleet, now: number, policy: MismatchPolicy, sinceOf: SinceOf): ScopeAnalysis[] {
  const digests = digestsOf(fleet, now);
  return [
    // A verdict names no group's servers: listing 100,000 of them is what made judging costly.
    analyzeParts(SYSTEM_SCOPE, systemParts(digests), recordIn(fleet), now, policy, sinceOf, undefined, ScopeRole.Hub, 0),
    ...digests.filter((d) => d.live.length > 0).map((d) => analyzeCluster(d, now, policy, sinceOf)),
  ];
}

export function scopeView(a: ScopeAnalysis): ScopeView {
  return {
    scope: a.scope,
    state: a.classification.state,
    target: a.summary.target ?? null,
    versions: a.summary.groups.map((g) => g.version),
    outliers: a.summary.outliers.map((o) => o.name).sort(),
    since: a.classification.since,
  };
}
