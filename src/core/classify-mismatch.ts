import { formatAgo } from "./format-ago.js";
import type { MismatchPolicy } from "./mismatch-policy.js";
import { MismatchState, OutlierCause } from "./mismatch-state.js";
import { ServerState, VersionChangeKind, type ServerRecord } from "./server-record.js";
import { Direction, type Outlier, type VersionSummary } from "./version-summary.js";
import { isPrerelease, parseVersion } from "./version.js";

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
  readonly causes: ReadonlyMap<string, OutlierDiagnosis>;
}

/**
 * When a mismatch first seen now probably began: the moment its youngest version group appeared,
 * i.e. the latest of each group's earliest start. A group whose servers restarted since makes this
 * later than the truth, never earlier, so a long-standing mismatch is never called stale too soon.
 */
export function estimateMismatchStart(members: readonly ServerRecord[], now: number): number {
  const earliest = new Map<string, number>();
  for (const r of members) {
    const t = Math.min(r.startedAt ?? r.versionSince, r.versionSince, now);
    earliest.set(r.version, Math.min(earliest.get(r.version) ?? t, t));
  }
  return Math.max(...earliest.values());
}

function newestVersion(summary: VersionSummary): string | undefined {
  return summary.groups[0]?.version;
}

/** The most recent sign of an upgrade being carried out, and what it was. */
function lastActivity(members: readonly ServerRecord[], newest: string | undefined): { at: number; what: string } | undefined {
  // Only the winner is described: building a sentence for every member made this the costliest
  // part of classifying a large scope.
  let best: { at: number; describe: () => string } | undefined;
  const consider = (at: number | undefined, describe: () => string) => {
    if (at !== undefined && (!best || at > best.at)) best = { at, describe };
  };
  for (const r of members) {
    if (r.version === newest) consider(r.startedAt, () => `${r.name} restarted on ${r.version}`);
    const last = r.history.at(-1);
    if (last && last.kind !== VersionChangeKind.FirstSeen) consider(last.at, () => `${r.name} changed from ${last.from} to ${last.version}`);
    if (r.state === ServerState.LameDuck) consider(r.stateSince, () => `${r.name} entered lame duck mode`);
    if (r.state === ServerState.ShutDown) consider(r.stateSince, () => `${r.name} shut down`);
  }
  const found = best as { at: number; describe: () => string } | undefined;
  return found && { at: found.at, what: found.describe() };
}

/** Where each JetStream domain first (and second) appears among a cluster's members, and how often. */
interface DomainTally {
  count: number;
  first: number;
  second: number;
}

/**
 * The domains of every cluster, tallied once per classification, so that each outlier's "what do
 * my peers run" is answered from the tally instead of a scan of every member (which made a
 * system-wide classification cost outliers x members).
 */
function tallyDomains(members: readonly ServerRecord[]): Map<string, Map<string | undefined, DomainTally>> {
  const byCluster = new Map<string, Map<string | undefined, DomainTally>>();
  members.forEach((m, i) => {
    let domains = byCluster.get(m.cluster);
    if (!domains) byCluster.set(m.cluster, (domains = new Map()));
    const t = domains.get(m.domain);
    if (!t) domains.set(m.domain, { count: 1, first: i, second: -1 });
    else {
      if (t.second < 0) t.second = i;
      t.count++;
    }
  });
  return byCluster;
}

/** The most common domain among a member's peers; a tie goes to the domain a peer lists first. */
function peersDomain(domains: ReadonlyMap<string | undefined, DomainTally> | undefined, r: ServerRecord, index: number): string | undefined {
  let best: { domain: string | undefined; count: number; first: number } | undefined;
  for (const [domain, t] of domains ?? []) {
    const own = domain === r.domain;
    const count = own ? t.count - 1 : t.count;
    if (count === 0) continue;
    const first = own && t.first === index ? t.second : t.first;
    if (!best || count > best.count || (count === best.count && first < best.first)) best = { domain, count, first };
  }
  return best?.domain;
}

function diagnose(
  o: Outlier,
  peersDomainOf: (r: ServerRecord) => string | undefined,
  target: string,
  activity: { at: number; what: string } | undefined,
  now: number,
  policy: MismatchPolicy,
): OutlierDiagnosis {
  const r = o.record;
  const recent = (t: number | undefined) => t !== undefined && now - t <= policy.activityWindowMs;
  const uptime = r.startedAt !== undefined ? formatAgo(now - r.startedAt) : "unknown";
  const last = r.history.at(-1);
  if (last?.kind === VersionChangeKind.Downgrade) {
    return { cause: OutlierCause.Rollback, detail: `rolled back from ${last.from} to ${last.version} ${formatAgo(now - last.at)} ago` };
  }
  const version = parseVersion(r.version);
  const targetVersion = parseVersion(target);
  if (version && targetVersion && isPrerelease(version) && !isPrerelease(targetVersion)) {
    return { cause: OutlierCause.DoesNotBelong, detail: `runs the pre-release ${r.version} in a cluster on release ${target}` };
  }
  const domain = peersDomainOf(r);
  if (domain !== undefined && r.domain !== domain) {
    return { cause: OutlierCause.DoesNotBelong, detail: `its JetStream domain ${JSON.stringify(r.domain)} is unlike its cluster's ${JSON.stringify(domain)}` };
  }
  if (o.direction === Direction.Newer) {
    if (recent(r.startedAt)) return { cause: OutlierCause.UpgradeInProgress, detail: `restarted ${uptime} ago on the newer ${r.version}` };
    return { cause: OutlierCause.DoesNotBelong, detail: `has run the newer ${r.version} for ${uptime} while the rest run ${target}: another pipeline or environment?` };
  }
  if (recent(r.startedAt)) {
    return { cause: OutlierCause.RestartedOnOldVersion, detail: `restarted ${uptime} ago, but on ${r.version}, older than ${target}` };
  }
  if (activity && recent(activity.at)) {
    return { cause: OutlierCause.IncompleteUpgrade, detail: `its peers were upgraded recently (${activity.what}), it still runs ${r.version} after ${uptime}` };
  }
  return { cause: OutlierCause.ForgottenServer, detail: `runs ${r.version} with an uptime of ${uptime}, and nothing around it is being upgraded` };
}

function names(list: readonly Outlier[], max = 5): string {
  const shown = list.slice(0, max).map((o) => o.record.name);
  return shown.join(", ") + (list.length > max ? ` and ${list.length - max} more` : "");
}

function recommend(state: MismatchState, summary: VersionSummary, causes: ReadonlyMap<string, OutlierDiagnosis>): string {
  const target = summary.target!;
  const newest = newestVersion(summary)!;
  const older = summary.outliers.filter((o) => o.direction === Direction.Older);
  const newer = summary.outliers.filter((o) => o.direction === Direction.Newer);
  const rolledBack = summary.outliers.filter((o) => causes.get(o.record.name)?.cause === OutlierCause.Rollback);
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
  if (rolledBack.length > 0) {
    parts.push(`${names(rolledBack)} was rolled back: fix what made it fail and upgrade it again, or roll the rest back`);
  }
  return parts.join("; ");
}

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
  if (summary.consistent || summary.target === undefined) {
    return {
      state: MismatchState.Consistent,
      since: undefined,
      reasons: summary.target ? [`every server runs ${summary.target}`] : ["no servers"],
      action: summary.target ? "none" : "no servers seen yet",
      causes: new Map(),
    };
  }
  const start = since ?? estimateMismatchStart(members, now);
  const activity = lastActivity(members, newestVersion(summary));
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
  const domains = tallyDomains(members);
  const index = new Map(members.map((m, i) => [m, i]));
  const peersDomainOf = (r: ServerRecord) => peersDomain(domains.get(r.cluster), r, index.get(r) ?? -1);
  const causes = new Map(summary.outliers.map((o) => [o.record.name, diagnose(o, peersDomainOf, summary.target!, activity, now, policy)]));
  return { state, since: start, reasons, action: recommend(state, summary, causes), causes };
}
