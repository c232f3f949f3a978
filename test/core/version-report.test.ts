import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import { ObservationKind } from "../../src/core/observation.js";
import { buildReport } from "../../src/core/version-report.js";
import { observation } from "../helpers/observations.js";

const HOUR = 3_600_000;

function fleetOf(spec: [name: string, cluster: string, version: string][], at = 10 * HOUR): Fleet {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  for (const [name, cluster, version] of spec) f.observe(observation(name, version, { cluster, startedAt: at - 3 * HOUR }), at);
  return f;
}

test("summary of a mixed cluster: target, groups, graded outliers with details, action", (t) => {
  const f = fleetOf([
    ["a", "east", "2.10.27"],
    ["b", "east", "2.10.27"],
    ["c", "east", "2.9.10"],
  ]);
  const r = buildReport(f, 10 * HOUR + 5_000);
  t.is(r.target, "2.10.27");
  t.false(r.consistent);
  t.is(r.gap, "minor");
  t.is(r.server_count, 3);
  t.deepEqual(r.groups, [
    { version: "2.10.27", count: 2, servers: ["a", "b"] },
    { version: "2.9.10", count: 1, servers: ["c"] },
  ]);
  t.is(r.outliers.length, 1);
  const c = r.outliers[0]!;
  t.like(c, { name: "c", version: "2.9.10", target: "2.10.27", gap: "minor", direction: "older", uptime_seconds: 3 * 3600 + 5, state: "running" });
  t.is(c.first_seen, new Date(10 * HOUR).toISOString());
  t.regex(r.action, /upgrade 1 outlier server\(s\) to 2\.10\.27 \(c\)/);
  t.is(r.state, "stalled");
  t.is(c.cause, "forgotten-server");
  t.is(r.generated_at, new Date(10 * HOUR + 5_000).toISOString());
  t.deepEqual(r.servers.map((s) => s.name), ["a", "b", "c"]);
});

test("per-cluster views and cluster filter", (t) => {
  const f = fleetOf([
    ["e1", "east", "2.10.27"],
    ["e2", "east", "2.10.27"],
    ["w1", "west", "2.9.10"],
    ["w2", "west", "2.9.10"],
    ["w3", "west", "2.10.27"],
  ]);
  const r = buildReport(f, 10 * HOUR);
  t.is(r.target, "2.10.27");
  t.deepEqual(
    r.clusters.map((c) => [c.name, c.target, c.consistent, c.outliers]),
    [
      ["east", "2.10.27", true, []],
      ["west", "2.9.10", false, ["w3"]],
    ],
  );
  const west = buildReport(f, 10 * HOUR, { cluster: "west" });
  t.deepEqual(west.filter, { cluster: "west" });
  t.is(west.server_count, 3);
  t.is(west.target, "2.9.10");
  t.deepEqual(west.outliers.map((o) => [o.name, o.direction]), [["w3", "newer"]]);
  t.regex(west.action, /w3 run\(s\) the newer 2\.10\.27: finish the upgrade of the rest, or roll those back to 2\.9\.10/);
  t.is(west.outliers[0]?.cause, "does-not-belong");
});

test("server filter and unknown filters give an empty, well-formed report", (t) => {
  const f = fleetOf([["a", "east", "2.10.27"]]);
  t.is(buildReport(f, 10 * HOUR, { server: "a" }).servers[0]?.name, "a");
  const none = buildReport(f, 10 * HOUR, { cluster: "nowhere" });
  t.is(none.server_count, 0);
  t.is(none.target, null);
  t.deepEqual(none.servers, []);
});

test("servers that went quiet are offline, not members; one just shut down stays a member for the window", (t) => {
  const f = fleetOf([
    ["a", "east", "2.10.27"],
    ["b", "east", "2.10.27"],
  ]);
  f.observe(observation("old", "2.9.10", { cluster: "east" }), 10 * HOUR - 10 * 60_000);
  f.observe(observation("b", "2.10.27", { cluster: "east", kind: ObservationKind.Shutdown, startedAt: 10 * HOUR - 3 * HOUR }), 10 * HOUR + 1);
  const r = buildReport(f, 10 * HOUR + 2);
  t.true(r.consistent);
  t.is(r.server_count, 2);
  t.is(r.servers.find((s) => s.name === "b")?.state, "shut-down");
  t.deepEqual(r.offline.map((o) => [o.name, o.state]), [["old", "running"]]);
  const later = buildReport(f, 10 * HOUR + 120_002);
  t.true(later.offline.some((o) => o.name === "b" && o.state === "shut-down"));
});

test("unnamed servers are flagged as a configuration smell", (t) => {
  const f = new Fleet({ offlineAfterMs: 60_000 });
  f.observe(observation("NABCDEF", "2.10.27", { id: "NABCDEF" }), 0);
  const r = buildReport(f, 0);
  t.deepEqual(r.warnings.map((w) => w.kind), ["unnamed-server"]);
});

test("thousands of servers: the default answer is bounded and pages give the rest", (t) => {
  const spec: [string, string, string][] = [];
  for (let i = 0; i < 5000; i++) spec.push([`srv-${String(i).padStart(5, "0")}`, `c${i % 50}`, i % 2 ? "2.10.27" : "2.9.10"]);
  spec.push(["tiebreak", "c0", "2.10.27"]);
  const f = fleetOf(spec);
  const r = buildReport(f, 10 * HOUR);
  t.is(r.server_count, 5001);
  t.is(r.target, "2.10.27");
  t.is(r.outliers.length, 1000);
  t.is(r.outliers_omitted, 1500);
  t.is(r.servers.length, 100);
  t.is(r.page.total_pages, 51);
  t.is(r.groups[0]!.servers.length, 50);
  t.is(r.groups[0]!.more, 2501 - 50);
  t.is(r.clusters.length, 50);
  const size = Buffer.byteLength(JSON.stringify(r));
  t.true(size < 1024 * 1024, `default report is ${size} bytes`);
  const last = buildReport(f, 10 * HOUR, { page: 51, pageSize: 100 });
  t.deepEqual(last.servers.map((s) => s.name), ["tiebreak"]);
});
