import { formatAgo } from "./format-ago.js";
import type { MismatchPolicy } from "./mismatch-policy.js";
import { MismatchState, OutlierCause } from "./mismatch-state.js";
import { factsOf, latestActivity, mismatchStartOf, peersDomain, type ScopeFacts } from "./scope-facts.js";
import { VersionChangeKind, type ServerRecord, type VersionChange } from "./server-record.js";
import { Direction, type Outlier, type VersionSummary } from "./version-summary.js";
import { isPrerelease, parseVersion, type Version } from "./version.js";

export interface OutlierDiagnosis {
  readonly cause: OutlierCause;
  readonly detail: string;
}

export interface MismatchClassification {
  readonly state: MismatchState;
  /** When the mismatch began (undefined while consistent). */
  readonly since: number | undefined;
  /** The facts that led to the state, for an operator. */
  readonly reasons: readonly string[];
  readonly action: string;
  readonly causes: OutlierCauses;
}

/** Each outlier's diagnosis, by name; `of` takes one of the scope's outliers itself (no lookup by name). */
export interface OutlierCauses extends ReadonlyMap<string, OutlierDiagnosis> {
  of(o: Outlier): OutlierDiagnosis;
}

/** When a mismatch first seen now probably began (see mismatchStartOf). */
export function estimateMismatchStart(members: readonly ServerRecord[], now: number): number {
  return mismatchStartOf(factsOf(members), now);
}

function newestVersion(summary: VersionSummary): string | undefined {
  return summary.groups[0]?.version;
}

/** A rollback is the first thing to say of a server, whatever else is true of it. */
function rolledBack(r: ServerRecord): VersionChange | undefined {
  const last = r.history.at(-1);
  return last?.kind === VersionChangeKind.Downgrade ? last : undefined;
}

function diagnose(
  o: Outlier,
  peersDomainOf: (r: ServerRecord) => string | undefined,
  target: Version,
  activity: { at: number; what: string } | undefined,
  now: number,
  policy: MismatchPolicy,
): OutlierDiagnosis {
  const r = o.record;
  const recent = (t: number | undefined) => t !== undefined && now - t <= policy.activityWindowMs;
  const uptime = r.startedAt !== undefined ? formatAgo(now - r.startedAt) : "unknown";
  const back = rolledBack(r);
  if (back) {
    return { cause: OutlierCause.Rollback, detail: `rolled back from ${back.from} to ${back.version} ${formatAgo(now - back.at)} ago` };
  }
  if (isPrerelease(o.version) && !isPrerelease(target)) {
    return { cause: OutlierCause.DoesNotBelong, detail: `runs the pre-release ${r.version} in a cluster on release ${target.text}` };
  }
  const domain = peersDomainOf(r);
  if (domain !== undefined && r.domain !== domain) {
    return { cause: OutlierCause.DoesNotBelong, detail: `its JetStream domain ${JSON.stringify(r.domain)} is unlike its cluster's ${JSON.stringify(domain)}` };
  }
  if (o.direction === Direction.Newer) {
    if (recent(r.startedAt)) return { cause: OutlierCause.UpgradeInProgress, detail: `restarted ${uptime} ago on the newer ${r.version}` };
    return { cause: OutlierCause.DoesNotBelong, detail: `has run the newer ${r.version} for ${uptime} while the rest run ${target.text}: another pipeline or environment?` };
  }
  if (recent(r.startedAt)) {
    return { cause: OutlierCause.RestartedOnOldVersion, detail: `restarted ${uptime} ago, but on ${r.version}, older than ${target.text}` };
  }
  if (activity && recent(activity.at)) {
    return { cause: OutlierCause.IncompleteUpgrade, detail: `its peers were upgraded recently (${activity.what}), it still runs ${r.version} after ${uptime}` };
  }
  return { cause: OutlierCause.ForgottenServer, detail: `runs ${r.version} with an uptime of ${uptime}, and nothing around it is being upgraded` };
}

function names(list: readonly Outlier[], max = 5): string {
  const shown = list.slice(0, max).map((o) => o.name);
  return shown.join(", ") + (list.length > max ? ` and ${list.length - max} more` : "");
}

function recommend(state: MismatchState, summary: VersionSummary, facts: ScopeFacts): string {
  const target = summary.target!;
  const newest = newestVersion(summary)!;
  const older = summary.outliers.filter((o) => o.direction === Direction.Older);
  const newer = summary.outliers.filter((o) => o.direction === Direction.Newer);
  // From the facts, not each outlier's record: a large fleet's outliers are looked up only when shown.
  const rolled = new Set(facts.rolledBack);
  const back = rolled.size === 0 ? [] : summary.outliers.filter((o) => rolled.has(o.name));
  const parts: string[] = [];
  if (state === MismatchState.RollingUpgrade) {
    const total = summary.groups.reduce((n, g) => n + g.count, 0);
    const left = total - (summary.groups[0]?.count ?? 0);
    parts.push(`finish the rolling upgrade to ${newest}: ${left} server(s) left, one at a time (lame duck, stop, upgrade, start, wait for JetStream to be current)`);
  } else {
    if (older.length > 0) parts.push(`upgrade ${older.length} outlier server(s) to ${target} (${names(older)})`);
    if (newer.length > 0) {
      parts.push(`${names(newer)} run(s) the newer ${newest}: finish the upgrade of the rest, or roll those back to ${target} if the newer version is not wanted`);
    }
  }
  if (back.length > 0) {
    parts.push(`${names(back)} was rolled back: fix what made it fail and upgrade it again, or roll the rest back`);
  }
  return parts.join("; ");
}

/**
 * Diagnoses outliers when asked: a report shows a page of them, while a large fleet can have
 * thousands, and describing every one on every rendering cost more than the rest of the report.
 */
class Diagnoses implements OutlierCauses {
  /** By name, made on first use: the whole system's 10,000 outliers were mapped on every rendering to look up the 1,000 shown. */
  #byName: ReadonlyMap<string, Outlier> | undefined;
  readonly #done = new Map<string, OutlierDiagnosis>();

  constructor(
    readonly outliers: readonly Outlier[],
    readonly diagnose: (o: Outlier) => OutlierDiagnosis,
  ) {}

  get #outliers(): ReadonlyMap<string, Outlier> {
    return (this.#byName ??= new Map(this.outliers.map((o) => [o.name, o])));
  }

  get size(): number {
    return this.#outliers.size;
  }

  has(name: string): boolean {
    return this.#outliers.has(name);
  }

  get(name: string): OutlierDiagnosis | undefined {
    const d = this.#done.get(name);
    if (d) return d;
    const o = this.#outliers.get(name);
    return o ? this.of(o) : undefined;
  }

  /** The diagnosis of one of the scope's outliers, without looking it up by name. */
  of(o: Outlier): OutlierDiagnosis {
    let d = this.#done.get(o.name);
    if (!d) this.#done.set(o.name, (d = this.diagnose(o)));
    return d;
  }

  *entries(): MapIterator<[string, OutlierDiagnosis]> {
    for (const name of this.#outliers.keys()) yield [name, this.get(name)!];
  }

  keys(): MapIterator<string> {
    return this.#outliers.keys();
  }

  *values(): MapIterator<OutlierDiagnosis> {
    for (const [, d] of this.entries()) yield d;
  }

  forEach(f: (value: OutlierDiagnosis, key: string, map: ReadonlyMap<string, OutlierDiagnosis>) => void): void {
    for (const [k, v] of this.entries()) f(v, k, this);
  }

  [Symbol.iterator](): MapIterator<[string, OutlierDiagnosis]> {
    return this.entries();
  }
}

const NO_CAUSES: OutlierCauses = new Diagnoses([], () => {
  throw new Error("a consistent scope has no outliers to diagnose");
});

/**
 * Classifies one scope (a cluster, or the whole system). `since` is the durable start time of the
 * current mismatch, when one is known; without it the start is estimated from start times.
 * Pure: the clock comes in as `now`.
 */
export function classifyMismatch(
  members: readonly ServerRecord[],
  summary: VersionSummary,
  since: number | undefined,
  now: number,
  policy: MismatchPolicy,
): MismatchClassification {
  return classifyScope(factsOf(members), summary, since, now, policy);
}

/** The same, from a scope's facts (see ScopeFacts): what a system of many clusters is classified from. */
export function classifyScope(
  facts: ScopeFacts,
  summary: VersionSummary,
  since: number | undefined,
  now: number,
  policy: MismatchPolicy,
): MismatchClassification {
  if (summary.consistent || summary.target === undefined) {
    return {
      state: MismatchState.Consistent,
      since: undefined,
      reasons: summary.target ? [`every server runs ${summary.target}`] : ["no servers"],
      action: summary.target ? "none" : "no servers seen yet",
      causes: NO_CAUSES,
    };
  }
  const start = since ?? mismatchStartOf(facts, now);
  const activity = latestActivity(facts, newestVersion(summary));
  const age = now - start;
  const reasons = [
    `versions ${summary.groups.map((g) => `${g.version} (${g.count})`).join(", ")}`,
    `mismatch since ${new Date(start).toISOString()}, ${formatAgo(age)} ago`,
  ];
  let state: MismatchState;
  if (age > policy.maxMismatchMs) {
    state = MismatchState.Stale;
    reasons.push(`longer than the policy's ${formatAgo(policy.maxMismatchMs)}`);
  } else if (activity && now - activity.at <= policy.activityWindowMs) {
    state = MismatchState.RollingUpgrade;
    reasons.push(`${activity.what} ${formatAgo(now - activity.at)} ago (activity window ${formatAgo(policy.activityWindowMs)})`);
  } else {
    state = MismatchState.Stalled;
    reasons.push(
      activity
        ? `nothing has happened since ${activity.what} ${formatAgo(now - activity.at)} ago (activity window ${formatAgo(policy.activityWindowMs)})`
        : `no restart, lame duck or version change within the activity window of ${formatAgo(policy.activityWindowMs)}`,
    );
  }
  const target = parseVersion(summary.target)!;
  const causes = new Diagnoses(summary.outliers, (o) => diagnose(o, (r) => peersDomain(facts, r), target, activity, now, policy));
  return { state, since: start, reasons, action: recommend(state, summary, facts), causes };
}
