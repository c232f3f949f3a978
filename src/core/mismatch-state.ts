export const MismatchState = {
  /** One version everywhere. */
  Consistent: "consistent",
  /** Servers differ, and restarts, lame ducks or version changes are recent: an upgrade under way. */
  RollingUpgrade: "rolling-upgrade",
  /** Servers differ and nothing has happened for longer than the activity window: interrupted. */
  Stalled: "stalled",
  /** Servers have differed for longer than the policy allows. */
  Stale: "stale",
} as const;
export type MismatchState = (typeof MismatchState)[keyof typeof MismatchState];

/** Why an outlier likely differs, inferred from facts the monitor has. */
export const OutlierCause = {
  /** Its history shows a downgrade. */
  Rollback: "rollback",
  /** It runs the newer version and restarted recently: it leads an upgrade. */
  UpgradeInProgress: "upgrade-in-progress",
  /** Its peers were upgraded recently; it still runs the old version with a long uptime. */
  IncompleteUpgrade: "incomplete-upgrade",
  /** Old version, long uptime, no upgrade activity around it. */
  ForgottenServer: "forgotten-server",
  /** A pre-release build in a release cluster, a domain unlike its cluster's, or long-running on a newer line. */
  DoesNotBelong: "does-not-belong",
  /** Restarted recently, but on an older version than the target. */
  RestartedOnOldVersion: "restarted-on-old-version",
} as const;
export type OutlierCause = (typeof OutlierCause)[keyof typeof OutlierCause];
