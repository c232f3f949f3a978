import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import { buildReport, type ReportLimits } from "../../src/core/version-report.js";
import { observation } from "../helpers/observations.js";

// The bounds that keep a reply small, and the server filter, each at its edge.
const T0 = 10_000_000;
const limits: ReportLimits = { pageSize: 2, maxOutliers: 2, maxNames: 2 };

/** Clusters c0..c3, each with one outlier on 2.9.10 and two on 2.10.27; x0..x2 offline (last seen long ago). */
function fleet(): Fleet {
  const f = new Fleet({ offlineAfterMs: 60_000 });
  for (let c = 0; c < 4; c++) {
    f.observe(observation(`c${c}-old`, "2.9.10", { cluster: `c${c}`, id: `c${c}o` }), T0);
    for (let i = 0; i < 2; i++) f.observe(observation(`c${c}-n${i}`, "2.10.27", { cluster: `c${c}`, id: `c${c}n${i}` }), T0);
  }
  for (let i = 0; i < 3; i++) f.observe(observation(`x${i}`, "2.10.27", { cluster: "gone", id: `x${i}` }), T0 - 120_000 - i * 1000);
  return f;
}

test("lists stop at their bounds and say how many they left out", (t) => {
  const r = buildReport(fleet(), T0, {}, { limits });
  t.is(r.server_count, 12);
  t.deepEqual(r.outliers.map((o) => o.name), ["c0-old", "c1-old"]);
  t.is(r.outliers_omitted, 2);
  t.deepEqual(r.clusters.map((c) => c.name), ["c0", "c1"]);
  t.is(r.clusters_omitted, 2);
  t.deepEqual(r.groups.map((g) => [g.version, g.count, g.servers, g.more]), [["2.10.27", 8, ["c0-n0", "c0-n1"], 6], ["2.9.10", 4, ["c0-old", "c1-old"], 2]]);
  t.deepEqual(r.servers.map((s) => s.name), ["c0-n0", "c0-n1"]);
  t.deepEqual(r.page, { number: 1, size: 2, total_servers: 12, total_pages: 6 });
  // Offline: most recently seen first, bounded.
  t.deepEqual(r.offline.map((o) => o.name), ["x0", "x1"]);
  t.is(r.offline_omitted, 1);
});

test("without room for every cluster, those on more than one version are listed before consistent ones; in name order", (t) => {
  const f = fleet();
  // a0, a1 (consistent) come before c0..c3 (one outlier each) by name.
  for (const c of ["a0", "a1"]) for (let i = 0; i < 2; i++) f.observe(observation(`${c}-n${i}`, "2.10.27", { cluster: c, id: `${c}n${i}` }), T0);
  t.deepEqual(buildReport(f, T0, {}, { limits }).clusters.map((c) => [c.name, c.consistent]), [["c0", false], ["c1", false]]);
  const r = buildReport(f, T0, {}, { limits: { ...limits, maxOutliers: 5 } });
  t.deepEqual(r.clusters.map((c) => [c.name, c.consistent]), [["a0", true], ["c0", false], ["c1", false], ["c2", false], ["c3", false]]);
  t.is(r.clusters_omitted, 1);
  t.deepEqual(buildReport(f, T0, {}, { limits: { ...limits, maxOutliers: 6 } }).clusters.map((c) => c.name), ["a0", "a1", "c0", "c1", "c2", "c3"], "all of them, when they fit");
});

test("within the bounds nothing is left out, and nothing is counted as left out", (t) => {
  const roomy: ReportLimits = { pageSize: 100, maxOutliers: 4, maxNames: 8 };
  const r = buildReport(fleet(), T0, {}, { limits: roomy });
  t.is(r.outliers.length, 4);
  t.is(r.outliers_omitted, 0);
  t.is(r.clusters.length, 4);
  t.is(r.clusters_omitted, 0);
  t.deepEqual(r.groups.map((g) => g.more), [undefined, undefined]);
  t.is(r.offline.length, 3);
  t.is(r.offline_omitted, 0);
});

test("a server filter narrows outliers, details and offline servers to that server", (t) => {
  const f = fleet();
  const outlier = buildReport(f, T0, { server: "c2-old" }, { limits });
  t.deepEqual(outlier.outliers.map((o) => o.name), ["c2-old"]);
  t.deepEqual(outlier.servers.map((s) => s.name), ["c2-old"]);
  t.deepEqual(outlier.page, { number: 1, size: 2, total_servers: 1, total_pages: 1 });
  t.deepEqual(outlier.offline, []);
  t.is(outlier.server_count, 12, "the verdict is still the whole system's");
  const gone = buildReport(f, T0, { server: "x1" }, { limits });
  t.deepEqual(gone.offline.map((o) => o.name), ["x1"]);
  t.deepEqual(gone.servers, []);
  t.deepEqual(gone.outliers, []);
  const page3 = buildReport(f, T0, { page: 3 }, { limits });
  t.deepEqual(page3.servers.map((s) => s.name), ["c1-n1", "c1-old"]);
});
