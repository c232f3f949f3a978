/** The windows that decide whether a mismatch is an upgrade under way, stalled, or stale. */
export interface MismatchPolicy {
  /** A mismatch older than this is stale, whatever is happening (default 24 h). */
  readonly maxMismatchMs: number;
  /** Restarts, lame-duck/shutdown events and version changes this recent mean an upgrade is under way (default 1 h). */
  readonly activityWindowMs: number;
  /**
   * The same, for a leaf cluster or leaf server (default 7 d): an edge fleet upgraded by its own
   * pipelines is expected to take longer than the hub, and is judged on its own.
   */
  readonly leafMaxMismatchMs?: number;
}

const LEAF_MAX_MISMATCH_MS = 7 * 24 * 3_600_000;

export const defaultMismatchPolicy: MismatchPolicy = Object.freeze({
  maxMismatchMs: 24 * 3_600_000,
  activityWindowMs: 3_600_000,
  leafMaxMismatchMs: LEAF_MAX_MISMATCH_MS,
});

/** The policy a scope of this role is judged by. */
export function policyFor(policy: MismatchPolicy, role: ScopeRole): MismatchPolicy {
  return role === ScopeRole.Leaf ? { ...policy, maxMismatchMs: policy.leafMaxMismatchMs ?? LEAF_MAX_MISMATCH_MS } : policy;
}

/** The hub (the cluster or super-cluster the monitor watches), or a leaf cluster / leaf server hanging off it. */
export const ScopeRole = { Hub: "hub", Leaf: "leaf" } as const;
export type ScopeRole = (typeof ScopeRole)[keyof typeof ScopeRole];
