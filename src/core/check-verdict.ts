import { formatAgo } from "./format-ago.js";
import { isJsonObject } from "./is-json-object.js";
import { ScopeRole } from "./mismatch-policy.js";
import { MismatchState } from "./mismatch-state.js";
import type { ClusterView, MismatchView, VersionReport, VisibilityView, Warning } from "./version-report.js";

/** A monitoring check's status, as Nagios, Icinga and Sensu read it (and `nats server check` prints it). */
export const CheckStatus = {
  Ok: "OK",
  Warning: "WARNING",
  Critical: "CRITICAL",
  /** The check could not tell: no service, a bad answer, bad flags, nothing seen yet. */
  Unknown: "UNKNOWN",
} as const;
export type CheckStatus = (typeof CheckStatus)[keyof typeof CheckStatus];

/** The plugin exit code of each status (the Nagios plugin API). */
export const checkExitCode: Readonly<Record<CheckStatus, 0 | 1 | 2 | 3>> = Object.freeze({ OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 });

const severity: Readonly<Record<CheckStatus, number>> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 };

/** The worse of two statuses: CRITICAL over UNKNOWN over WARNING over OK. */
export function worseStatus(a: CheckStatus, b: CheckStatus): CheckStatus {
  return severity[b] > severity[a] ? b : a;
}

/** How old a hub mismatch may grow before the check warns, and before it is critical. */
export interface CheckThresholds {
  readonly warnAfterMs: number;
  readonly criticalAfterMs: number;
}

export const defaultCheckThresholds: CheckThresholds = Object.freeze({ warnAfterMs: 3_600_000, criticalAfterMs: 24 * 3_600_000 });

/** One statement of the check: what is wrong (or right) with one scope, or with what the monitor sees. */
export interface CheckFinding {
  readonly status: CheckStatus;
  readonly text: string;
}

/** One figure for graphs, Nagios performance data: `name=value[unit][;warn[;crit]]`. */
export interface PerfDatum {
  readonly name: string;
  readonly value: number;
  readonly unit?: "s";
  readonly warn?: number;
  readonly crit?: number;
}

export interface CheckVerdict {
  readonly status: CheckStatus;
  readonly code: 0 | 1 | 2 | 3;
  /** Every non-OK finding, worst first; or the one OK statement. */
  readonly findings: readonly CheckFinding[];
  readonly perf: readonly PerfDatum[];
}

type ScopeFacts = Pick<MismatchView, "state" | "mismatch_seconds"> & {
  readonly target: string | null;
  readonly server_count: number;
};

/** The part of a `versions.report` answer the check reads; a VersionReport is one. */
export interface CheckReport extends ScopeFacts {
  readonly filter: VersionReport["filter"];
  readonly groups: readonly unknown[];
  readonly outliers: readonly unknown[];
  readonly outliers_omitted: number;
  readonly clusters: readonly (ScopeFacts & Pick<ClusterView, "name" | "role" | "outliers" | "more_outliers">)[];
  readonly warnings: readonly Pick<Warning, "kind" | "server">[];
  readonly visibility: Pick<VisibilityView, "unreachable">;
}

/**
 * How one scope stands. Consistent is OK and stale (past the service's --max-mismatch) is CRITICAL.
 * A hub scope's rolling upgrade is OK until its mismatch reaches `warnAfterMs`, a WARNING from
 * then and CRITICAL from `criticalAfterMs`; stalled (nothing happening) is a WARNING at once and
 * CRITICAL from `criticalAfterMs`. A leaf scope is judged by the service's leaf policy
 * (--leaf-max-mismatch, days by default) and not by these hub thresholds: stalled is a WARNING,
 * a rolling upgrade OK. An age the report does not give counts as zero.
 */
export function scopeStatus(scope: Pick<MismatchView, "state" | "mismatch_seconds">, role: ScopeRole, t: CheckThresholds): CheckStatus {
  if (scope.state === MismatchState.Consistent) return CheckStatus.Ok;
  if (scope.state === MismatchState.Stale) return CheckStatus.Critical;
  if (role === ScopeRole.Leaf) return scope.state === MismatchState.Stalled ? CheckStatus.Warning : CheckStatus.Ok;
  const ageMs = (scope.mismatch_seconds ?? 0) * 1000;
  if (ageMs >= t.criticalAfterMs) return CheckStatus.Critical;
  if (scope.state === MismatchState.Stalled || ageMs >= t.warnAfterMs) return CheckStatus.Warning;
  return CheckStatus.Ok;
}

/** The threshold that decides, for people: the next one to reach, or the one passed. */
const thresholdNote = (status: CheckStatus, role: ScopeRole, t: CheckThresholds): string => {
  if (role === ScopeRole.Leaf) return " (leaf policy)";
  return status === CheckStatus.Ok ? ` (warning at ${formatAgo(t.warnAfterMs)})` : ` (critical at ${formatAgo(t.criticalAfterMs)})`;
};

function scopeText(label: string, s: ScopeFacts, outliers: number, status: CheckStatus, role: ScopeRole, t: CheckThresholds): string {
  const where = label === "" ? "" : `${label} `;
  if (s.state === MismatchState.Consistent) return `${where}${s.server_count} server(s) on ${s.target ?? "-"}`;
  const note = s.state === MismatchState.Stale ? "" : thresholdNote(status, role, t);
  return `${where}${s.state} for ${formatAgo((s.mismatch_seconds ?? 0) * 1000)}${note}: ${outliers} of ${s.server_count} server(s) not on ${s.target ?? "-"}`;
}

const finding = (status: CheckStatus, text: string): CheckFinding => ({ status, text });

const names = (list: readonly string[], max = 3) => list.slice(0, max).join(", ") + (list.length > max ? ` and ${list.length - max} more` : "");

/**
 * The check's verdict on a report: the worst status of the report's own scope (the whole system,
 * or the cluster asked for) and, for the whole system, of every cluster in it; a server the
 * monitor finds unreachable is a WARNING (its version cannot be confirmed). No server seen is
 * UNKNOWN. Perf data: servers, versions, outliers, the scope's mismatch age, unreachable servers.
 */
export function checkVerdict(report: CheckReport, t: CheckThresholds = defaultCheckThresholds): CheckVerdict {
  const filtered = report.filter.cluster;
  const own = filtered !== undefined ? report.clusters.find((c) => c.name === filtered) : undefined;
  const role = own?.role ?? ScopeRole.Hub;
  const outliers = report.outliers.length + report.outliers_omitted;
  const unreachable = filtered !== undefined ? report.warnings.filter((w) => w.kind === "unreachable").map((w) => w.server) : [];
  const unreachableCount = filtered !== undefined ? unreachable.length : report.visibility.unreachable;
  const perf: PerfDatum[] = [
    { name: "servers", value: report.server_count },
    { name: "versions", value: report.groups.length },
    { name: "outliers", value: outliers },
    {
      name: "mismatch_seconds",
      value: report.mismatch_seconds ?? 0,
      unit: "s",
      ...(role === ScopeRole.Hub ? { warn: t.warnAfterMs / 1000, crit: t.criticalAfterMs / 1000 } : {}),
    },
    { name: "unreachable", value: unreachableCount },
  ];
  if (report.target === null || report.server_count === 0) {
    const text = filtered !== undefined ? `no server of cluster ${filtered} is known` : "no servers seen yet: does the service's system connection see the servers?";
    return { status: CheckStatus.Unknown, code: checkExitCode.UNKNOWN, findings: [finding(CheckStatus.Unknown, text)], perf };
  }

  const label = filtered !== undefined ? `${role === ScopeRole.Leaf ? "leaf " : ""}cluster ${filtered}` : "";
  const ownStatus = scopeStatus(report, role, t);
  const all: CheckFinding[] = [finding(ownStatus, scopeText(label, report, outliers, ownStatus, role, t))];
  if (filtered === undefined) {
    // The system scope judges the hub's servers: with one hub cluster, that cluster says the same again.
    const hubs = report.clusters.filter((c) => c.role === ScopeRole.Hub);
    const same = hubs.length === 1 ? hubs[0] : undefined;
    for (const c of report.clusters) {
      if (c === same) continue;
      const status = scopeStatus(c, c.role, t);
      const n = c.outliers.length + (c.more_outliers ?? 0);
      if (status !== CheckStatus.Ok) all.push(finding(status, scopeText(`${c.role === ScopeRole.Leaf ? "leaf " : ""}cluster ${c.name}`, c, n, status, c.role, t)));
    }
  }
  if (unreachableCount > 0) {
    const which = unreachable.length > 0 ? unreachable : report.warnings.filter((w) => w.kind === "unreachable").map((w) => w.server);
    all.push(finding(CheckStatus.Warning, `${unreachableCount} server(s) unreachable${which.length > 0 ? ` (${names(which)})` : ""}: their versions cannot be confirmed`));
  }
  const status = all.reduce<CheckStatus>((worst, f) => worseStatus(worst, f.status), CheckStatus.Ok);
  const problems = all.filter((f) => f.status !== CheckStatus.Ok).sort((a, b) => severity[b.status] - severity[a.status]);
  return { status, code: checkExitCode[status], findings: problems.length > 0 ? problems : all.slice(0, 1), perf };
}

/** The check could not judge: no service, a bad answer, bad flags. */
export function unknownVerdict(text: string): CheckVerdict {
  return { status: CheckStatus.Unknown, code: checkExitCode.UNKNOWN, findings: [finding(CheckStatus.Unknown, text)], perf: [] };
}

const states: readonly string[] = Object.values(MismatchState);
const roles: readonly string[] = Object.values(ScopeRole);
const isCount = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isAge = (v: unknown) => v === null || isCount(v);
const isTarget = (v: unknown) => v === null || typeof v === "string";

function scopeFault(v: Record<string, unknown>, where: string): string | undefined {
  if (typeof v["state"] !== "string" || !states.includes(v["state"])) return `${where}state is not a mismatch state`;
  if (!isAge(v["mismatch_seconds"])) return `${where}mismatch_seconds is not a count of seconds`;
  if (!isTarget(v["target"])) return `${where}target is not a version`;
  if (!isCount(v["server_count"])) return `${where}server_count is not a count`;
  return undefined;
}

function clusterFault(c: unknown, i: number): string | undefined {
  if (!isJsonObject(c)) return `clusters[${i}] is not an object`;
  if (typeof c["name"] !== "string" || typeof c["role"] !== "string" || !roles.includes(c["role"])) return `clusters[${i}] has no name or role`;
  if (!Array.isArray(c["outliers"]) || !(c["more_outliers"] === undefined || isCount(c["more_outliers"]))) return `clusters[${i}] has no outliers`;
  return scopeFault(c, `clusters[${i}].`);
}

/** A `versions.report` answer checked for what the check reads; a string says what is wrong with it. */
export function readCheckReport(answer: unknown): CheckReport | string {
  if (!isJsonObject(answer)) return "not a JSON object";
  const fault = scopeFault(answer, "");
  if (fault) return fault;
  if (!isJsonObject(answer["filter"])) return "filter is not an object";
  for (const list of ["groups", "outliers", "clusters", "warnings"]) if (!Array.isArray(answer[list])) return `${list} is not a list`;
  if (!isCount(answer["outliers_omitted"])) return "outliers_omitted is not a count";
  if (!isJsonObject(answer["visibility"]) || !isCount(answer["visibility"]["unreachable"])) return "visibility.unreachable is not a count";
  const clusters = answer["clusters"] as unknown[];
  for (const [i, c] of clusters.entries()) {
    const f = clusterFault(c, i);
    if (f) return f;
  }
  for (const w of answer["warnings"] as unknown[]) if (!isJsonObject(w) || typeof w["kind"] !== "string" || typeof w["server"] !== "string") return "warnings holds a malformed warning";
  const cluster = answer["filter"]["cluster"];
  if (cluster !== undefined && typeof cluster !== "string") return "filter.cluster is not a name";
  return answer as unknown as CheckReport;
}
