import type { AffectedVersion, ScopeStatement } from "./mismatch-event.js";
import { scopeStatement } from "./mismatch-event.js";
import type { ScopeView } from "./mismatch-transition.js";
import type { Fleet } from "./fleet.js";
import type { MismatchPolicy } from "./mismatch-policy.js";
import { analyzeScopes, scopeView, type ScopeAnalysis, type SinceOf } from "./scope-analysis.js";

/** How many of a scope's servers run a version. */
export interface VersionCount {
  readonly version: string;
  readonly count: number;
}

/**
 * All the mismatch tracker needs of one scope to decide and describe a transition: its view (what
 * a transition compares), the statement an event would carry, and the versions advisories affect.
 * Plain data: it is made where the fleet is analysed (the report worker) and handed to the tracker.
 */
export interface ScopeVerdict {
  readonly scope: string;
  readonly members: number;
  readonly view: ScopeView;
  readonly statement: ScopeStatement;
  readonly affected: readonly AffectedVersion[];
}

export function judgeScope(a: ScopeAnalysis, affected: readonly AffectedVersion[]): ScopeVerdict {
  return {
    scope: a.scope,
    members: a.size,
    view: { ...scopeView(a), affected: affected.map((v) => ({ version: v.version, servers: v.servers })) },
    statement: scopeStatement(a),
    affected,
  };
}

/** Every scope of a fleet (the whole system first, then each cluster), judged as of `now`. */
export function judgeScopes(
  fleet: Fleet,
  now: number,
  policy: MismatchPolicy,
  sinceOf: SinceOf,
  affected?: (versions: readonly VersionCount[]) => readonly AffectedVersion[],
): ScopeVerdict[] {
  // From the scope's version groups: its members, listed, would be every server of the system.
  return analyzeScopes(fleet, now, policy, sinceOf).map((a) => judgeScope(a, affected?.(a.summary.groups) ?? []));
}
