import { classifyMismatch, type MismatchClassification } from "./classify-mismatch.js";
import type { Fleet } from "./fleet.js";
import { policyFor, ScopeRole, type MismatchPolicy } from "./mismatch-policy.js";
import { clusterScope, SYSTEM_SCOPE } from "./mismatch-record.js";
import type { ScopeView } from "./mismatch-transition.js";
import type { ServerRecord } from "./server-record.js";
import { summarizeVersions, type VersionSummary } from "./version-summary.js";

/** One scope (the whole system, or one cluster) as of `now`: members, versions, classification. */
export interface ScopeAnalysis {
  readonly scope: string;
  readonly cluster?: string;
  /** A leaf cluster (or leaf server) is judged on its own, by the leaf policy. */
  readonly role: ScopeRole;
  readonly members: readonly ServerRecord[];
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
  const summary = summarizeVersions(members);
  return {
    scope,
    ...(cluster !== undefined ? { cluster } : {}),
    role,
    members,
    summary,
    classification: classifyMismatch(members, summary, sinceOf(scope), now, policyFor(policy, role)),
  };
}

/** A cluster of leaf servers (a standalone leaf is a cluster of its own name) is a leaf scope. */
export function clusterRole(fleet: Fleet, members: readonly ServerRecord[]): ScopeRole {
  return members.some((r) => fleet.isLeaf(r)) ? ScopeRole.Leaf : ScopeRole.Hub;
}

/**
 * The servers the system scope judges: the hub's. Leaves are judged per leaf cluster, by their
 * own policy: an edge fleet lagging the hub is expected, and must not make the hub's picture stale.
 */
export function hubMembers(fleet: Fleet, members: readonly ServerRecord[]): readonly ServerRecord[] {
  const hubs = members.filter((r) => !fleet.isLeaf(r));
  return hubs.length > 0 ? hubs : members;
}

/** Members grouped by cluster name, clusters sorted by name. */
export function membersByCluster(members: readonly ServerRecord[]): [string, ServerRecord[]][] {
  const byCluster = new Map<string, ServerRecord[]>();
  for (const r of members) {
    const list = byCluster.get(r.cluster);
    if (list) list.push(r);
    else byCluster.set(r.cluster, [r]);
  }
  return [...byCluster].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The whole system (the hub's servers) first, then every cluster, hub or leaf, that has members now. */
export function analyzeScopes(fleet: Fleet, now: number, policy: MismatchPolicy, sinceOf: SinceOf): ScopeAnalysis[] {
  const members = [...fleet.records()].filter((r) => fleet.isLive(r, now));
  return [
    analyzeScope(SYSTEM_SCOPE, hubMembers(fleet, members), now, policy, sinceOf),
    ...membersByCluster(members).map(([name, list]) => analyzeScope(clusterScope(name), list, now, policy, sinceOf, name, clusterRole(fleet, list))),
  ];
}

export function scopeView(a: ScopeAnalysis): ScopeView {
  return {
    scope: a.scope,
    state: a.classification.state,
    target: a.summary.target ?? null,
    versions: a.summary.groups.map((g) => g.version),
    outliers: a.summary.outliers.map((o) => o.record.name).sort(),
    since: a.classification.since,
  };
}
