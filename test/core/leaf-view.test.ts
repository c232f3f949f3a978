import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import { leavesView, unknownLeafAction } from "../../src/core/leaf-view.js";
import { defaultMismatchPolicy, policyFor } from "../../src/core/mismatch-policy.js";
import { analyzeScopes } from "../../src/core/scope-analysis.js";
import { applyObservation } from "../../src/core/server-record.js";
import { decodeServerRecord, encodeServerRecord } from "../../src/core/server-record-codec.js";
import { buildReport } from "../../src/core/version-report.js";
import { ObservationKind } from "../../src/core/observation.js";
import { observation } from "../helpers/observations.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = 1_000 * HOUR;
const OFFLINE = 2 * MIN;

/** hub: h1 2.11.0, h2 2.11.0, h3 2.10.27; leaf e1 (2.9.10, by VARZ); leaf pair p1/p2 (2.10.27/2.9.10, listed by hub h1). */
function fleet(): Fleet {
  const f = new Fleet({ offlineAfterMs: OFFLINE });
  const started = T0 - 10 * HOUR;
  for (const [name, version] of [["h1", "2.11.0"], ["h2", "2.11.0"], ["h3", "2.10.27"]] as const) f.observe(observation(name, version, { cluster: "hub", startedAt: started }), T0);
  f.observe(observation("e1", "2.9.10", { kind: ObservationKind.Varz, cluster: "e1", startedAt: started, leaf: true }), T0);
  f.observe(observation("p1", "2.10.27", { cluster: "pair", startedAt: started }), T0);
  f.observe(observation("p2", "2.9.10", { cluster: "pair", startedAt: started }), T0);
  f.noteLeafLinks("h1", [{ name: "p1", account: "SYS" }, { name: "p1", account: "APP" }, { name: "p2", account: "SYS" }, { name: "ghost", account: "APP" }, { account: "APP" }], T0);
  return f;
}

test("a leaf is one whose VARZ lists remotes, or one a hub lists; everyone else is the hub", (t) => {
  const f = fleet();
  t.deepEqual([...f.records()].filter((r) => f.isLeaf(r)).map((r) => r.name), ["e1", "p1", "p2"]);
  t.is(f.get("e1")!.leaf, true);
  t.is(f.get("p1")!.leaf, undefined, "listed by a hub, not by its own VARZ");
});

test("listed leaves: named ones merged over accounts, unnamed counted, a hub gone quiet forgotten", (t) => {
  const f = fleet();
  t.deepEqual(f.listedLeaves(T0), {
    named: [
      { name: "ghost", hub: "h1", accounts: ["APP"] },
      { name: "p1", hub: "h1", accounts: ["APP", "SYS"] },
      { name: "p2", hub: "h1", accounts: ["SYS"] },
    ],
    unnamed: 1,
  });
  t.deepEqual(f.listedLeaves(T0 + OFFLINE), f.listedLeaves(T0), "still fresh at the offline window");
  t.deepEqual(f.listedLeaves(T0 + OFFLINE + 1), { named: [], unnamed: 0 }, "a hub not answering LEAFZ for longer lists nothing");
  // A leaf's own answer (a 2.9 leaf cannot say is_spoke) does not make its hub a leaf of it.
  f.noteLeafLinks("e1", [{ account: "APP" }], T0);
  t.is(f.listedLeaves(T0).unnamed, 1);
});

test("new leaf links bump the fleet's revision; the same links again do not, but keep them fresh", (t) => {
  const f = fleet();
  const r0 = f.revision;
  f.noteLeafLinks("h1", [{ account: "APP" }, { name: "p2", account: "SYS" }, { name: "ghost", account: "APP" }, { name: "p1", account: "APP" }, { name: "p1", account: "SYS" }], T0 + MIN);
  t.is(f.revision, r0, "the same links in another order");
  t.is(f.listedLeaves(T0 + MIN + OFFLINE).named.length, 3, "refreshed by the repeat");
  f.noteLeafLinks("h1", [], T0 + MIN);
  t.is(f.revision, r0 + 1);
  t.deepEqual(f.listedLeaves(T0 + MIN).named, []);
  t.false(f.isLeaf(f.get("p1")!), "no longer listed, and its VARZ never said so");
});

test("VARZ sets and clears the leaf flag; other observations keep it; a change of it is material", (t) => {
  const base = observation("e1", "2.9.10", { kind: ObservationKind.Varz, startedAt: 5, leaf: true });
  const first = applyObservation(undefined, base, 10).record;
  t.is(first.leaf, true);
  const stats = applyObservation(first, observation("e1", "2.9.10", { startedAt: 5 }), 20);
  t.is(stats.record.leaf, true);
  t.false(stats.material);
  const same = applyObservation(first, base, 30);
  t.false(same.material);
  const cleared = applyObservation(first, { ...base, leaf: false }, 40);
  t.true(cleared.material);
  t.false("leaf" in cleared.record);
  const hub = applyObservation(undefined, { ...base, leaf: false }, 10).record;
  t.false("leaf" in hub);
  t.true(applyObservation(hub, base, 20).material);
  // Stored and read back.
  t.is(decodeServerRecord(encodeServerRecord(first)).leaf, true);
  t.false("leaf" in decodeServerRecord(encodeServerRecord(hub)));
});

test("scopes: the system is the hub's servers, leaf clusters are judged by the leaf policy", (t) => {
  const f = fleet();
  // A mismatch 2 h old with the activity 10 h ago: stalled by default, stale with a 1 h limit.
  const policy = { ...defaultMismatchPolicy, maxMismatchMs: HOUR, leafMaxMismatchMs: 3 * HOUR };
  const since = () => T0 - 2 * HOUR;
  const scopes = analyzeScopes(f, T0, policy, since);
  t.deepEqual(scopes.map((a) => [a.scope, a.role, a.size, a.classification.state]), [
    ["system", "hub", 3, "stale"],
    ["cluster:e1", "leaf", 1, "consistent"],
    ["cluster:hub", "hub", 3, "stale"],
    ["cluster:pair", "leaf", 2, "stalled"],
  ]);
  t.is(policyFor(policy, "leaf").maxMismatchMs, 3 * HOUR);
  t.is(policyFor(policy, "hub"), policy);
  t.is(policyFor(defaultMismatchPolicy, "leaf").maxMismatchMs, 7 * 24 * HOUR);
  t.is(policyFor({ maxMismatchMs: HOUR, activityWindowMs: HOUR }, "leaf").maxMismatchMs, 7 * 24 * HOUR, "the default when the policy names none");
  // Only leaves: the system scope falls back to all of them rather than to nobody.
  const leavesOnly = new Fleet({ offlineAfterMs: OFFLINE });
  leavesOnly.observe(observation("x", "2.9.10", { kind: ObservationKind.Varz, leaf: true }), T0);
  t.is(analyzeScopes(leavesOnly, T0, policy, since)[0]!.size, 1);
});

test("the leaves view: versions against the hub's target, the unseen leaf by name with its fix", (t) => {
  const f = fleet();
  const leaves = [...f.records()].filter((r) => f.isLeaf(r));
  const v = leavesView(f, leaves, () => "2.11.0", T0, 50)!;
  t.deepEqual(v, {
    servers: 3,
    clusters: ["e1", "pair"],
    hub_target: "2.11.0",
    versions: [
      { version: "2.10.27", count: 1, gap: "minor", direction: "older" },
      { version: "2.9.10", count: 2, gap: "minor", direction: "older" },
    ],
    unknown: [{ name: "ghost", version: "unknown", hub: "h1", accounts: ["APP"], action: unknownLeafAction("ghost") }],
    unknown_omitted: 0,
    unnamed_connections: 1,
  });
  t.regex(unknownLeafAction("ghost"), /^its version is unknown: ghost links only an application account to the hub; add a leafnode remote bound to its system account/);
  const bounded = leavesView(f, leaves, () => undefined, T0, 1)!;
  t.deepEqual(bounded.clusters, ["e1"]);
  t.is(bounded.hub_target, null);
  t.deepEqual(bounded.versions.map((x) => [x.gap, x.direction]), [[null, null], [null, null]]);
  t.is(bounded.unknown_omitted, 0);
  t.is(leavesView(new Fleet({ offlineAfterMs: OFFLINE }), [], () => "2.11.0", T0, 50), undefined, "no leaves, no block");
  const newer = leavesView(f, [f.get("h1")!], () => "2.10.27", T0, 50)!;
  t.deepEqual(newer.versions, [{ version: "2.11.0", count: 1, gap: "minor", direction: "newer" }]);
  const same = leavesView(f, [f.get("h3")!], () => "2.10.27", T0, 50)!;
  t.deepEqual(same.versions, [{ version: "2.10.27", count: 1, gap: "none", direction: "same" }]);
});

test("the report: the hub's verdict, roles per cluster, leaves marked, the unseen leaf warned about", (t) => {
  const f = fleet();
  const r = buildReport(f, T0);
  t.is(r.server_count, 3);
  t.deepEqual(r.outliers.map((o) => o.name), ["h3"]);
  t.deepEqual(r.clusters.map((c) => [c.name, c.role]), [["e1", "leaf"], ["hub", "hub"], ["pair", "leaf"]]);
  t.deepEqual(r.servers.filter((s) => s.leaf).map((s) => s.name), ["e1", "p1", "p2"]);
  t.deepEqual(r.warnings.map((w) => [w.kind, w.server]), [["leaf-version-unknown", "ghost"]]);
  t.is(r.leaves!.servers, 3);
  const pair = buildReport(f, T0, { cluster: "pair" });
  t.is(pair.server_count, 2);
  t.is(pair.leaves!.hub_target, "2.11.0", "a leaf cluster's report compares with the hub's target");
  t.deepEqual(pair.leaves!.clusters, ["pair"]);
  const hub = buildReport(f, T0, { cluster: "hub" });
  t.is(hub.leaves!.servers, 0, "the hub cluster has no leaves of its own; the unseen leaf is still named");
  t.is(hub.leaves!.unknown.length, 1);
});
