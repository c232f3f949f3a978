/** The windows that decide whether a mismatch is an upgrade under way, stalled, or stale. */
export interface MismatchPolicy {
  /** A mismatch older than this is stale, whatever is happening (default 24 h). */
  readonly maxMismatchMs: number;
  /** Restarts, lame-duck/shutdown events and version changes this recent mean an upgrade is under way (default 1 h). */
  readonly activityWindowMs: number;
}

export const defaultMismatchPolicy: MismatchPolicy = Object.freeze({
  maxMismatchMs: 24 * 3_600_000,
  activityWindowMs: 3_600_000,
});
