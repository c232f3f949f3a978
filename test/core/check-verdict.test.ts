import test from "ava";
import { checkJson, checkText, nagiosLine, perfDatumText, renderCheck } from "../../src/cli/check-output.js";
import * as cliSubjects from "../../src/cli/subjects.js";
import {
  CheckStatus,
  checkVerdict,
  defaultCheckThresholds,
  readCheckReport,
  scopeStatus,
  unknownVerdict,
  worseStatus,
  type CheckReport,
  type CheckThresholds,
} from "../../src/core/check-verdict.js";
import { ScopeRole } from "../../src/core/mismatch-policy.js";
import { MismatchState, type MismatchState as State } from "../../src/core/mismatch-state.js";
import type { VersionReport } from "../../src/core/version-report.js";
import { INBOX_PREFIX } from "../../src/nats/connect.js";
import { EVENTS_SUBJECT, REPORT_SUBJECT, UPGRADE_SUBJECT } from "../../src/nats/report-service.js";

const S = 1;
const H = 3600;
const D = 24 * H;
const t1h24h: CheckThresholds = { warnAfterMs: H * 1000, criticalAfterMs: D * 1000 };

// ---- scopeStatus: every state at every threshold boundary, hub and leaf -------------------------

const judged = test.macro({
  exec(t, state: State, seconds: number | null, role: ScopeRole, thresholds: CheckThresholds, expected: CheckStatus) {
    t.is(scopeStatus({ state, mismatch_seconds: seconds }, role, thresholds), expected);
  },
  title: (_given, state: State, seconds: number | null, role: ScopeRole, th: CheckThresholds, expected: CheckStatus) =>
    `${role} ${state} at ${seconds === null ? "no age" : `${seconds}s`} (warn ${th.warnAfterMs / 1000}s, crit ${th.criticalAfterMs / 1000}s) is ${expected}`,
});

const { Consistent, RollingUpgrade, Stalled, Stale } = MismatchState;
const { Hub, Leaf } = ScopeRole;

test(judged, Consistent, null, Hub, t1h24h, CheckStatus.Ok);
test(judged, Consistent, 0, Hub, t1h24h, CheckStatus.Ok);
test(judged, Consistent, 10 * D, Hub, t1h24h, CheckStatus.Ok);

test(judged, RollingUpgrade, null, Hub, t1h24h, CheckStatus.Ok);
test(judged, RollingUpgrade, 0, Hub, t1h24h, CheckStatus.Ok);
test(judged, RollingUpgrade, H - S, Hub, t1h24h, CheckStatus.Ok);
test(judged, RollingUpgrade, H, Hub, t1h24h, CheckStatus.Warning);
test(judged, RollingUpgrade, H + S, Hub, t1h24h, CheckStatus.Warning);
test(judged, RollingUpgrade, D - S, Hub, t1h24h, CheckStatus.Warning);
test(judged, RollingUpgrade, D, Hub, t1h24h, CheckStatus.Critical);
test(judged, RollingUpgrade, D + S, Hub, t1h24h, CheckStatus.Critical);

test(judged, Stalled, null, Hub, t1h24h, CheckStatus.Warning);
test(judged, Stalled, 0, Hub, t1h24h, CheckStatus.Warning);
test(judged, Stalled, H - S, Hub, t1h24h, CheckStatus.Warning);
test(judged, Stalled, H, Hub, t1h24h, CheckStatus.Warning);
test(judged, Stalled, D - S, Hub, t1h24h, CheckStatus.Warning);
test(judged, Stalled, D, Hub, t1h24h, CheckStatus.Critical);
test(judged, Stalled, D + S, Hub, t1h24h, CheckStatus.Critical);

test(judged, Stale, null, Hub, t1h24h, CheckStatus.Critical);
test(judged, Stale, 0, Hub, t1h24h, CheckStatus.Critical);
test(judged, Stale, H, Hub, t1h24h, CheckStatus.Critical);

// Equal thresholds: no warning window, straight from OK to CRITICAL.
const equal: CheckThresholds = { warnAfterMs: 60_000, criticalAfterMs: 60_000 };
test(judged, RollingUpgrade, 59, Hub, equal, CheckStatus.Ok);
test(judged, RollingUpgrade, 60, Hub, equal, CheckStatus.Critical);
test(judged, Stalled, 59, Hub, equal, CheckStatus.Warning);
test(judged, Stalled, 60, Hub, equal, CheckStatus.Critical);
// A zero warning threshold warns about any mismatch; sub-second thresholds compare in milliseconds.
test(judged, RollingUpgrade, 0, Hub, { warnAfterMs: 0, criticalAfterMs: 60_000 }, CheckStatus.Warning);
test(judged, RollingUpgrade, 1, Hub, { warnAfterMs: 1500, criticalAfterMs: 2500 }, CheckStatus.Ok);
test(judged, RollingUpgrade, 2, Hub, { warnAfterMs: 1500, criticalAfterMs: 2500 }, CheckStatus.Warning);
test(judged, RollingUpgrade, 3, Hub, { warnAfterMs: 1500, criticalAfterMs: 2500 }, CheckStatus.Critical);

// A leaf scope is judged by the service's leaf policy, not by the hub thresholds.
test(judged, Consistent, null, Leaf, t1h24h, CheckStatus.Ok);
test(judged, RollingUpgrade, 0, Leaf, t1h24h, CheckStatus.Ok);
test(judged, RollingUpgrade, H, Leaf, t1h24h, CheckStatus.Ok);
test(judged, RollingUpgrade, 6 * D, Leaf, t1h24h, CheckStatus.Ok);
test(judged, Stalled, 0, Leaf, t1h24h, CheckStatus.Warning);
test(judged, Stalled, D, Leaf, t1h24h, CheckStatus.Warning);
test(judged, Stalled, 6 * D, Leaf, t1h24h, CheckStatus.Warning);
test(judged, Stale, 7 * D, Leaf, t1h24h, CheckStatus.Critical);

test("the default thresholds are 1 h and 24 h (the service's own --max-mismatch)", (t) => {
  t.deepEqual({ ...defaultCheckThresholds }, { warnAfterMs: 3_600_000, criticalAfterMs: 86_400_000 });
  t.true(Object.isFrozen(defaultCheckThresholds));
});

test("worseStatus: CRITICAL over UNKNOWN over WARNING over OK, either way round", (t) => {
  const order = [CheckStatus.Ok, CheckStatus.Warning, CheckStatus.Unknown, CheckStatus.Critical];
  for (const [i, a] of order.entries()) {
    for (const [j, b] of order.entries()) t.is(worseStatus(a, b), order[Math.max(i, j)]!, `${a} vs ${b}`);
  }
});

// ---- checkVerdict on reports ----------------------------------------------------------------------

type Cluster = CheckReport["clusters"][number];

function cluster(name: string, state: State, seconds: number | null, extra: Partial<Cluster> = {}): Cluster {
  const consistent = state === Consistent;
  return { name, role: Hub, state, mismatch_seconds: seconds, target: "2.10.29", server_count: 3, outliers: consistent ? [] : [`${name}-1`], ...extra };
}

/** A report of one hub cluster `east` (3 servers), unless told otherwise. */
function report(state: State, seconds: number | null, extra: Partial<CheckReport> = {}): CheckReport {
  const consistent = state === Consistent;
  return {
    filter: {},
    state,
    mismatch_seconds: seconds,
    target: "2.10.29",
    server_count: 3,
    groups: consistent ? [{}] : [{}, {}],
    outliers: consistent ? [] : [{}],
    outliers_omitted: 0,
    clusters: [cluster("east", state, seconds)],
    warnings: [],
    visibility: { unreachable: 0 },
    ...extra,
  };
}

test("a VersionReport is a CheckReport (the check reads the service's own answer type)", (t) => {
  const answer = {} as VersionReport;
  const read: CheckReport = answer;
  t.is(read, answer);
});

test("consistent: OK, the servers and their version; perf data with the thresholds in seconds", (t) => {
  const v = checkVerdict(report(Consistent, null), t1h24h);
  t.is(v.status, CheckStatus.Ok);
  t.is(v.code, 0);
  t.deepEqual(v.findings, [{ status: CheckStatus.Ok, text: "3 server(s) on 2.10.29" }]);
  t.deepEqual(v.perf, [
    { name: "servers", value: 3 },
    { name: "versions", value: 1 },
    { name: "outliers", value: 0 },
    { name: "mismatch_seconds", value: 0, unit: "s", warn: 3600, crit: 86400 },
    { name: "unreachable", value: 0 },
  ]);
});

test("a young rolling upgrade: OK, saying when it will warn", (t) => {
  const v = checkVerdict(report(RollingUpgrade, 300), t1h24h);
  t.is(v.code, 0);
  t.deepEqual(v.findings, [{ status: CheckStatus.Ok, text: "rolling-upgrade for 5m (warning at 1h): 1 of 3 server(s) not on 2.10.29" }]);
  t.like(v.perf[3], { name: "mismatch_seconds", value: 300 });
});

test("an old rolling upgrade: WARNING from --warn-after, CRITICAL from --critical-after, saying which", (t) => {
  const warn = checkVerdict(report(RollingUpgrade, 2 * H), t1h24h);
  t.is(warn.code, 1);
  t.deepEqual(warn.findings, [{ status: CheckStatus.Warning, text: "rolling-upgrade for 2h (critical at 1d): 1 of 3 server(s) not on 2.10.29" }]);
  const crit = checkVerdict(report(RollingUpgrade, D + 5 * 60), t1h24h);
  t.is(crit.code, 2);
  t.deepEqual(crit.findings, [{ status: CheckStatus.Critical, text: "rolling-upgrade for 1d (critical at 1d): 1 of 3 server(s) not on 2.10.29" }]);
});

test("stalled: WARNING at once, CRITICAL from --critical-after; stale: CRITICAL", (t) => {
  t.is(checkVerdict(report(Stalled, 10), t1h24h).code, 1);
  t.is(checkVerdict(report(Stalled, D), t1h24h).code, 2);
  const stale = checkVerdict(report(Stale, D + H), t1h24h);
  t.is(stale.code, 2);
  t.deepEqual(stale.findings, [{ status: CheckStatus.Critical, text: "stale for 1d1h: 1 of 3 server(s) not on 2.10.29" }]);
});

test("the thresholds come from the caller; without them, the defaults", (t) => {
  t.is(checkVerdict(report(RollingUpgrade, 2 * H)).code, 1);
  t.is(checkVerdict(report(RollingUpgrade, 2 * H), { warnAfterMs: 3 * H * 1000, criticalAfterMs: D * 1000 }).code, 0);
  t.like(checkVerdict(report(RollingUpgrade, 2), { warnAfterMs: 1000, criticalAfterMs: 2000 }).perf[3], { warn: 1, crit: 2 });
});

test("one hub cluster is the system: its verdict is not said twice", (t) => {
  const v = checkVerdict(report(Stalled, 2 * H), t1h24h);
  t.is(v.findings.length, 1);
  t.regex(v.findings[0]!.text, /^stalled for 2h/);
});

test("a super-cluster: every cluster that is not OK is named, the worst first; the status is the worst", (t) => {
  const r = report(RollingUpgrade, 600, {
    server_count: 9,
    outliers: [{}, {}],
    clusters: [cluster("central", Consistent, null), cluster("east", RollingUpgrade, 600), cluster("west", Stalled, 2 * D)],
  });
  const v = checkVerdict(r, t1h24h);
  t.is(v.status, CheckStatus.Critical);
  t.deepEqual(v.findings, [{ status: CheckStatus.Critical, text: "cluster west stalled for 2d (critical at 1d): 1 of 3 server(s) not on 2.10.29" }]);
  const warn = checkVerdict({ ...r, clusters: [cluster("central", Consistent, null), cluster("east", RollingUpgrade, 2 * H), cluster("west", Stalled, 60)] }, t1h24h);
  t.is(warn.status, CheckStatus.Warning);
  t.deepEqual(
    warn.findings.map((f) => f.text),
    ["cluster east rolling-upgrade for 2h (critical at 1d): 1 of 3 server(s) not on 2.10.29", "cluster west stalled for 1m (critical at 1d): 1 of 3 server(s) not on 2.10.29"],
  );
  const worstFirst = checkVerdict({ ...r, state: Stale, mismatch_seconds: D, clusters: [cluster("east", Stalled, 60), cluster("west", Stale, D)] }, t1h24h);
  t.deepEqual(
    worstFirst.findings.map((f) => f.status),
    [CheckStatus.Critical, CheckStatus.Critical, CheckStatus.Warning],
  );
  t.regex(worstFirst.findings[0]!.text, /^stale for 1d:/);
});

test("a cluster's outliers include those left out of its list", (t) => {
  const r = report(RollingUpgrade, 60, { clusters: [cluster("east", Consistent, null), cluster("west", Stale, D, { outliers: ["w1", "w2"], more_outliers: 48, server_count: 100 })] });
  t.is(checkVerdict(r, t1h24h).findings[0]!.text, "cluster west stale for 1d: 50 of 100 server(s) not on 2.10.29");
});

test("the report's outliers include those left out of its list", (t) => {
  const v = checkVerdict(report(RollingUpgrade, 60, { outliers: [{}, {}], outliers_omitted: 998, server_count: 2000 }), t1h24h);
  t.like(v.perf[2], { name: "outliers", value: 1000 });
  t.regex(v.findings[0]!.text, /1000 of 2000 server\(s\)/);
});

test("leaf clusters: judged by the service's leaf policy, named as leaves", (t) => {
  const hub = cluster("hub", Consistent, null);
  const ok = checkVerdict(report(Consistent, null, { clusters: [hub, cluster("edge", RollingUpgrade, 3 * D, { role: Leaf })] }), t1h24h);
  t.is(ok.code, 0);
  t.deepEqual(ok.findings.map((f) => f.text), ["3 server(s) on 2.10.29"]);
  const stalled = checkVerdict(report(Consistent, null, { clusters: [hub, cluster("edge", Stalled, 3 * D, { role: Leaf })] }), t1h24h);
  t.is(stalled.code, 1);
  t.deepEqual(stalled.findings.map((f) => f.text), ["leaf cluster edge stalled for 3d (leaf policy): 1 of 3 server(s) not on 2.10.29"]);
  const stale = checkVerdict(report(Consistent, null, { clusters: [hub, cluster("edge", Stale, 8 * D, { role: Leaf })] }), t1h24h);
  t.is(stale.code, 2);
  t.deepEqual(stale.findings.map((f) => f.text), ["leaf cluster edge stale for 8d: 1 of 3 server(s) not on 2.10.29"]);
});

test("one hub cluster and its leaves: the hub is the system, each leaf is judged on its own", (t) => {
  const v = checkVerdict(report(Stalled, 60, { clusters: [cluster("hub", Stalled, 60), cluster("edge", Stalled, 60, { role: Leaf })] }), t1h24h);
  t.deepEqual(v.findings.map((f) => f.text), ["stalled for 1m (critical at 1d): 1 of 3 server(s) not on 2.10.29", "leaf cluster edge stalled for 1m (leaf policy): 1 of 3 server(s) not on 2.10.29"]);
});

test("--cluster: that cluster only, named; a leaf cluster by the leaf policy and without hub thresholds in its perf data", (t) => {
  const east = report(Stalled, 2 * H, { filter: { cluster: "east" }, clusters: [cluster("east", Stalled, 2 * H)] });
  const v = checkVerdict(east, t1h24h);
  t.deepEqual(v.findings, [{ status: CheckStatus.Warning, text: "cluster east stalled for 2h (critical at 1d): 1 of 3 server(s) not on 2.10.29" }]);
  const edge = report(RollingUpgrade, 3 * D, { filter: { cluster: "edge" }, clusters: [cluster("edge", RollingUpgrade, 3 * D, { role: Leaf })] });
  const leaf = checkVerdict(edge, t1h24h);
  t.deepEqual(leaf.findings, [{ status: CheckStatus.Ok, text: "leaf cluster edge rolling-upgrade for 3d (leaf policy): 1 of 3 server(s) not on 2.10.29" }]);
  t.deepEqual(leaf.perf[3], { name: "mismatch_seconds", value: 3 * D, unit: "s" });
});

test("unreachable servers: a WARNING naming them (their version cannot be confirmed), counted in the perf data", (t) => {
  const warnings = [
    { kind: "unreachable" as const, server: "n1" },
    { kind: "unnamed-server" as const, server: "NABC" },
    { kind: "unreachable" as const, server: "n2" },
    { kind: "unreachable" as const, server: "n3" },
    { kind: "unreachable" as const, server: "n4" },
  ];
  const v = checkVerdict(report(Consistent, null, { warnings, visibility: { unreachable: 4 } }), t1h24h);
  t.is(v.code, 1);
  t.deepEqual(v.findings, [{ status: CheckStatus.Warning, text: "4 server(s) unreachable (n1, n2, n3 and 1 more): their versions cannot be confirmed" }]);
  t.like(v.perf[4], { name: "unreachable", value: 4 });
  // Filtered to a cluster, the visibility figures are still the whole system's: the cluster's warnings count.
  const east = checkVerdict(report(Consistent, null, { filter: { cluster: "east" }, warnings: warnings.slice(0, 2), visibility: { unreachable: 4 } }), t1h24h);
  t.deepEqual(east.findings.map((f) => f.text), ["1 server(s) unreachable (n1): their versions cannot be confirmed"]);
  t.like(east.perf[4], { value: 1 });
  // Under a worse finding, it comes second.
  const stale = checkVerdict(report(Stale, D, { warnings, visibility: { unreachable: 4 } }), t1h24h);
  t.deepEqual(stale.findings.map((f) => f.status), [CheckStatus.Critical, CheckStatus.Warning]);
  // Counted by the service beyond the warnings listed: the count without names.
  const unnamed = checkVerdict(report(Consistent, null, { visibility: { unreachable: 2 } }), t1h24h);
  t.is(unnamed.findings[0]!.text, "2 server(s) unreachable: their versions cannot be confirmed");
});

test("nothing seen: UNKNOWN; an unknown cluster says so", (t) => {
  const none = checkVerdict(report(Consistent, null, { target: null, server_count: 0, groups: [], clusters: [] }), t1h24h);
  t.is(none.status, CheckStatus.Unknown);
  t.is(none.code, 3);
  t.regex(none.findings[0]!.text, /^no servers seen yet/);
  t.like(none.perf[0], { name: "servers", value: 0 });
  const nowhere = checkVerdict(report(Consistent, null, { filter: { cluster: "nowhere" }, target: null, server_count: 0, groups: [], clusters: [] }), t1h24h);
  t.deepEqual(nowhere.findings, [{ status: CheckStatus.Unknown, text: "no server of cluster nowhere is known" }]);
});

test("a mismatch without an age counts as zero seconds", (t) => {
  const v = checkVerdict(report(RollingUpgrade, null), t1h24h);
  t.like(v.perf[3], { value: 0 });
  t.regex(v.findings[0]!.text, /^rolling-upgrade for 0s/);
});

test("unknownVerdict: UNKNOWN, exit 3, the reason, no perf data", (t) => {
  t.deepEqual(unknownVerdict("no service"), { status: CheckStatus.Unknown, code: 3, findings: [{ status: CheckStatus.Unknown, text: "no service" }], perf: [] });
});

// ---- readCheckReport: the service's answer, checked at the edge -----------------------------------

test("readCheckReport accepts a report and returns it", (t) => {
  const r = report(Stalled, 5, { filter: { cluster: "east" }, warnings: [{ kind: "unreachable", server: "n1" }] });
  const answer = JSON.parse(JSON.stringify(r)) as unknown;
  t.deepEqual(readCheckReport(answer), r);
  t.deepEqual(readCheckReport(JSON.parse(JSON.stringify({ ...report(Consistent, null), more_fields: { ignored: true } }))), { ...report(Consistent, null), more_fields: { ignored: true } });
});

const refused = test.macro({
  exec(t, patch: Record<string, unknown>, why: string) {
    t.is(readCheckReport({ ...good(), ...patch }), why);
  },
  title: (_given, patch: Record<string, unknown>, why: string) => `readCheckReport refuses ${JSON.stringify(patch)}: ${why}`,
});

const good = () => JSON.parse(JSON.stringify(report(Stalled, 5))) as Record<string, unknown>;

test("readCheckReport refuses what is not a JSON object", (t) => {
  for (const answer of [[], null, "report", 3, undefined]) t.is(readCheckReport(answer), "not a JSON object");
});
test(refused, { state: "unknown" }, "state is not a mismatch state");
test(refused, { state: undefined }, "state is not a mismatch state");
test(refused, { mismatch_seconds: -1 }, "mismatch_seconds is not a count of seconds");
test(refused, { mismatch_seconds: 1.5 }, "mismatch_seconds is not a count of seconds");
test(refused, { mismatch_seconds: "5" }, "mismatch_seconds is not a count of seconds");
test(refused, { target: 2 }, "target is not a version");
test(refused, { server_count: null }, "server_count is not a count");
test(refused, { filter: null }, "filter is not an object");
test(refused, { filter: { cluster: 3 } }, "filter.cluster is not a name");
test(refused, { groups: {} }, "groups is not a list");
test(refused, { outliers: undefined }, "outliers is not a list");
test(refused, { clusters: "east" }, "clusters is not a list");
test(refused, { warnings: null }, "warnings is not a list");
test(refused, { outliers_omitted: -2 }, "outliers_omitted is not a count");
test(refused, { visibility: {} }, "visibility.unreachable is not a count");
test(refused, { visibility: null }, "visibility.unreachable is not a count");
test(refused, { clusters: [7] }, "clusters[0] is not an object");
test(refused, { clusters: [{ ...cluster("east", Stalled, 5), role: "spoke" }] }, "clusters[0] has no name or role");
test(refused, { clusters: [{ ...cluster("east", Stalled, 5), name: 1 }] }, "clusters[0] has no name or role");
test(refused, { clusters: [{ ...cluster("east", Stalled, 5), outliers: null }] }, "clusters[0] has no outliers");
test(refused, { clusters: [{ ...cluster("east", Stalled, 5), more_outliers: "many" }] }, "clusters[0] has no outliers");
test(refused, { clusters: [cluster("a", Consistent, null), { ...cluster("east", Stalled, 5), state: "odd" }] }, "clusters[1].state is not a mismatch state");
test(refused, { clusters: [{ ...cluster("east", Stalled, 5), mismatch_seconds: -5 }] }, "clusters[0].mismatch_seconds is not a count of seconds");
test(refused, { warnings: [{ kind: "unreachable" }] }, "warnings holds a malformed warning");
test(refused, { warnings: ["unreachable"] }, "warnings holds a malformed warning");

// ---- output: the Nagios status line (jsm.go's shape), JSON, text ----------------------------------

test("perf data: name=value[unit][;warn[;crit]], as the Nagios plugin API and jsm.go write it", (t) => {
  t.is(perfDatumText({ name: "servers", value: 5 }), "servers=5");
  t.is(perfDatumText({ name: "mismatch_seconds", value: 5400, unit: "s", warn: 3600, crit: 86400 }), "mismatch_seconds=5400s;3600;86400");
  t.is(perfDatumText({ name: "x", value: 1, warn: 2 }), "x=1;2");
  t.is(perfDatumText({ name: "x", value: 1, crit: 2 }), "x=1;;2");
  t.is(perfDatumText({ name: "x", value: 1.23456, unit: "s", warn: 0.25, crit: 1.5 }), "x=1.235s;0.25;1.5");
  t.is(perfDatumText({ name: "peer lag", value: 7 }), "'peer lag'=7");
  t.is(perfDatumText({ name: "it's", value: 7 }), "'it''s'=7");
});

test("the status line: STATUS VERSIONS, the findings with natscli's prefixes, | and the perf data", (t) => {
  t.is(
    nagiosLine(checkVerdict(report(Consistent, null), t1h24h)),
    "OK VERSIONS OK:3 server(s) on 2.10.29 | servers=3 versions=1 outliers=0 mismatch_seconds=0s;3600;86400 unreachable=0",
  );
  const r = report(Stale, D, { server_count: 6, clusters: [cluster("east", Stale, D), cluster("west", Stalled, 60)], warnings: [{ kind: "unreachable", server: "w2" }], visibility: { unreachable: 1 } });
  t.is(
    nagiosLine(checkVerdict(r, t1h24h)),
    "CRITICAL VERSIONS Crit:stale for 1d: 1 of 6 server(s) not on 2.10.29 Crit:cluster east stale for 1d: 1 of 3 server(s) not on 2.10.29 " +
      "Warn:cluster west stalled for 1m (critical at 1d): 1 of 3 server(s) not on 2.10.29 Warn:1 server(s) unreachable (w2): their versions cannot be confirmed" +
      " | servers=6 versions=2 outliers=1 mismatch_seconds=86400s;3600;86400 unreachable=1",
  );
  t.is(nagiosLine(unknownVerdict("cannot connect to nats://127.0.0.1:4222: ECONNREFUSED")), "UNKNOWN VERSIONS Unknown:cannot connect to nats://127.0.0.1:4222: ECONNREFUSED");
});

test("the status line stays one line without a stray |, whatever a message holds", (t) => {
  const line = nagiosLine(unknownVerdict("service error 500: a | b\r\n  c\nd"));
  t.is(line, "UNKNOWN VERSIONS Unknown:service error 500: a / b c d");
  const named = nagiosLine(checkVerdict(report(Stalled, 60, { clusters: [cluster("hub", Consistent, null), cluster("a|b", Stalled, 60), cluster("c", Consistent, null)] }), t1h24h));
  t.is(named.split("|").length, 2, named);
  t.regex(named, /Warn:cluster a\/b stalled/);
});

test("JSON: status, exit code, message, the findings by status (natscli's keys), perf data with units and thresholds", (t) => {
  const r = report(Stalled, 120, { warnings: [{ kind: "unreachable", server: "n1" }], visibility: { unreachable: 1 } });
  const json = JSON.parse(checkJson(checkVerdict(r, t1h24h))) as Record<string, unknown>;
  t.deepEqual(json, {
    status: "WARNING",
    code: 1,
    check_name: "VERSIONS",
    message: "stalled for 2m (critical at 1d): 1 of 3 server(s) not on 2.10.29; 1 server(s) unreachable (n1): their versions cannot be confirmed",
    critical: [],
    warning: ["stalled for 2m (critical at 1d): 1 of 3 server(s) not on 2.10.29", "1 server(s) unreachable (n1): their versions cannot be confirmed"],
    ok: [],
    unknown: [],
    perf_data: [
      { name: "servers", value: 3 },
      { name: "versions", value: 2 },
      { name: "outliers", value: 1 },
      { name: "mismatch_seconds", value: 120, unit: "s", warning: 3600, critical: 86400 },
      { name: "unreachable", value: 1 },
    ],
  });
  t.false(checkJson(unknownVerdict("x")).includes("\n"), "one line");
  t.like(JSON.parse(checkJson(unknownVerdict("no service"))), { status: "UNKNOWN", code: 3, message: "no service", unknown: ["no service"], perf_data: [] });
});

test("text: the status and exit code, one line per finding, the figures", (t) => {
  const text = checkText(checkVerdict(report(RollingUpgrade, 2 * H), t1h24h));
  t.is(
    text,
    [
      "VERSIONS: WARNING (exit 1)",
      "  WARNING  rolling-upgrade for 2h (critical at 1d): 1 of 3 server(s) not on 2.10.29",
      "  servers 3, versions 2, outliers 1, mismatch_seconds 7200s (warning 3600s, critical 86400s), unreachable 0",
    ].join("\n"),
  );
  t.is(checkText(unknownVerdict("no service")), "VERSIONS: UNKNOWN (exit 3)\n  UNKNOWN  no service");
});

test("renderCheck picks the format", (t) => {
  const v = checkVerdict(report(Consistent, null), t1h24h);
  t.is(renderCheck(v, "nagios"), nagiosLine(v));
  t.is(renderCheck(v, "json"), checkJson(v));
  t.is(renderCheck(v, "text"), checkText(v));
});

// ---- the CLI's copy of the service's subjects --------------------------------------------------

test("the CLI's subjects and inbox prefix are the service's (defined twice so the CLI need not load the service)", (t) => {
  t.deepEqual(
    { ...cliSubjects },
    { REPORT_SUBJECT, EVENTS_SUBJECT, UPGRADE_SUBJECT, INBOX_PREFIX },
  );
});
