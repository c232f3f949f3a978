import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import { ObservationKind } from "../../src/core/observation.js";
import { AdvisoryBook } from "../../src/core/advisory-book.js";
import { parseAdvisoryDataset } from "../../src/core/advisory.js";
import { parseInventory } from "../../src/core/inventory.js";
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

test("a server's view: every field it has, times in ISO, the uptime never negative", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  f.observe(observation("a", "2.10.27", { kind: ObservationKind.Varz, cluster: "east", domain: "hub", go: "go1.22.1", gitCommit: "abc", startedAt: 10 * HOUR - 2_500 }), 10 * HOUR);
  f.observe(observation("b", "2.10.27", { cluster: "east", startedAt: 10 * HOUR + 60_000 }), 10 * HOUR);
  const { startedAt: _, ...unstarted } = observation("c", "2.10.27", { cluster: "east" });
  f.observe(unstarted, 10 * HOUR);
  const [a, b, c] = buildReport(f, 10 * HOUR).servers;
  t.deepEqual(a, {
    name: "a",
    id: "ID-a",
    cluster: "east",
    domain: "hub",
    host: "127.0.0.1",
    version: "2.10.27",
    go: "go1.22.1",
    git_commit: "abc",
    state: "running",
    started_at: new Date(10 * HOUR - 2_500).toISOString(),
    uptime_seconds: 2,
    first_seen: new Date(10 * HOUR).toISOString(),
    version_since: new Date(10 * HOUR).toISOString(),
    last_seen: new Date(10 * HOUR).toISOString(),
  });
  t.is(b!.uptime_seconds, 0, "a clock ahead of ours");
  t.false("domain" in b!);
  t.false("go" in b!);
  t.false("git_commit" in b!);
  t.false("started_at" in c!);
  t.false("uptime_seconds" in c!);
});

test("the mismatch view: since and how long, from the durable start", (t) => {
  const f = fleetOf([["a", "east", "2.10.27"], ["b", "east", "2.10.27"], ["c", "east", "2.9.10"]]);
  const r = buildReport(f, 10 * HOUR, {}, { sinceOf: (scope) => (scope === "system" ? 10 * HOUR - 90_500 : undefined) });
  t.is(r.since, new Date(10 * HOUR - 90_500).toISOString());
  t.is(r.mismatch_seconds, 90);
  t.is(r.risk, "higher risk: a NATS major step (2.x -> 2.y), protocol and feature changes");
  const consistent = buildReport(fleetOf([["a", "east", "2.10.27"]]), 10 * HOUR);
  t.is(consistent.since, null);
  t.is(consistent.mismatch_seconds, null);
});

test("offline servers: the most recently heard first, bounded by the name limit", (t) => {
  const f = new Fleet({ offlineAfterMs: 60_000 });
  f.observe(observation("live", "2.10.27"), 10 * HOUR);
  f.observe(observation("older", "2.10.27"), 10 * HOUR - 10 * 60_000);
  f.observe(observation("recent", "2.10.27"), 10 * HOUR - 2 * 60_000);
  f.observe(observation("oldest", "2.9.10", { cluster: "west" }), 10 * HOUR - 20 * 60_000);
  const r = buildReport(f, 10 * HOUR);
  t.deepEqual(r.offline, [
    { name: "recent", cluster: "c1", version: "2.10.27", last_seen: new Date(10 * HOUR - 2 * 60_000).toISOString(), state: "running" },
    { name: "older", cluster: "c1", version: "2.10.27", last_seen: new Date(10 * HOUR - 10 * 60_000).toISOString(), state: "running" },
    { name: "oldest", cluster: "west", version: "2.9.10", last_seen: new Date(10 * HOUR - 20 * 60_000).toISOString(), state: "running" },
  ]);
  t.is(r.offline_omitted, 0);
  const bounded = buildReport(f, 10 * HOUR, {}, { limits: { pageSize: 100, maxOutliers: 1000, maxNames: 2 } });
  t.deepEqual(bounded.offline.map((o) => o.name), ["recent", "older"]);
  t.is(bounded.offline_omitted, 1);
});

test("limits: outliers per cluster and per report, warnings and group names, each with what was left out", (t) => {
  const f = fleetOf([["a", "east", "2.10.27"], ["b", "east", "2.10.27"], ["c", "east", "2.10.27"], ["d", "east", "2.10.27"], ["x", "east", "2.9.10"], ["y", "east", "2.9.10"], ["z", "east", "2.9.10"]]);
  const r = buildReport(f, 10 * HOUR, {}, { limits: { pageSize: 3, maxOutliers: 2, maxNames: 2 } });
  t.deepEqual(r.outliers.map((o) => o.name), ["x", "y"]);
  t.is(r.outliers_omitted, 1);
  t.deepEqual(r.groups, [
    { version: "2.10.27", count: 4, servers: ["a", "b"], more: 2 },
    { version: "2.9.10", count: 3, servers: ["x", "y"], more: 1 },
  ]);
  t.deepEqual(r.clusters[0]!.outliers, ["x", "y"]);
  t.is(r.clusters[0]!.more_outliers, 1);
  t.deepEqual(r.page, { number: 1, size: 3, total_servers: 7, total_pages: 3 });
  t.deepEqual(r.servers.map((s) => s.name), ["a", "b", "c"]);
  t.deepEqual(buildReport(f, 10 * HOUR, { page: 3 }, { limits: { pageSize: 3, maxOutliers: 2, maxNames: 2 } }).servers.map((s) => s.name), ["z"]);
  const exact = buildReport(f, 10 * HOUR, {}, { limits: { pageSize: 7, maxOutliers: 3, maxNames: 3 } });
  t.is(exact.outliers_omitted, 0);
  t.false("more_outliers" in exact.clusters[0]!);
  t.false("more" in exact.groups[1]!);
  t.is(exact.page.total_pages, 1);
  const warned = buildReport(f, 10 * HOUR, {}, {
    limits: { pageSize: 3, maxOutliers: 2, maxNames: 2 },
    warnings: ["p", "q", "r"].map((server) => ({ kind: "permission-denied" as const, server, detail: "d" })),
  });
  t.deepEqual(warned.warnings.map((w) => w.server), ["p", "q"]);
  t.is(warned.warnings_omitted, 1);
});

test("a name used by two live servers is a warning naming both ids", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  f.observe(observation("a", "2.10.27", { id: "ONE", startedAt: 5_000 }), 6_000);
  f.observe(observation("a", "2.9.10", { id: "TWO", startedAt: 1_000 }), 6_000);
  t.deepEqual(buildReport(f, 6_000).warnings, [
    { kind: "duplicate-name", server: "a", detail: `2 live servers advertise the name "a" (ids ONE, TWO): give each a unique server_name` },
  ]);
});

test("the security part of the action: plural advisories, no severity, and no clean release to go to", (t) => {
  const dataset = parseAdvisoryDataset({
    source: "test",
    as_of: "2026-06-29",
    advisories: [
      { id: "CVE-1", component: "nats-server", affected: ["<3.0.0"], severity: null },
      { id: "CVE-2", component: "nats-server", affected: ["<3.0.0"], severity: null },
    ],
  });
  const book = new AdvisoryBook(dataset, [{ version: "2.10.29", date: "", prerelease: false }]);
  const consistent = buildReport(fleetOf([["a", "east", "2.10.27"], ["b", "east", "2.10.27"]]), 10 * HOUR, {}, { advisories: book });
  t.is(consistent.action, "every server runs 2.10.27, affected by 2 known advisories: no release in this dataset is free of them: watch the advisories");
  t.deepEqual(consistent.security, { dataset: { source: "test", as_of: "2026-06-29" }, target: { count: 2, ids: ["CVE-1", "CVE-2"], worst_severity: null }, recommended_version: null, affected_servers: 2 });
  const mixed = buildReport(fleetOf([["a", "east", "2.10.27"], ["b", "east", "2.10.27"], ["c", "east", "2.9.10"]]), 10 * HOUR, {}, { advisories: book });
  t.is(mixed.action, "the target 2.10.27 is itself affected by 2 known advisories: no release in this dataset is free of them: watch the advisories rather than to 2.10.27; upgrade 1 outlier server(s) to 2.10.27 (c)");
  const empty = buildReport(new Fleet({ offlineAfterMs: 1 }), 0, {}, { advisories: book });
  t.is(empty.action, "no servers seen yet");
  t.like(empty.security, { target: null, recommended_version: null, affected_servers: 0 });
});

test("the inventory part: findings with times in ISO, outliers grouped by pipeline", (t) => {
  const f = fleetOf([["a", "east", "2.10.27"], ["b", "east", "2.10.27"], ["c", "east", "2.10.27"], ["x", "east", "2.9.10"], ["y", "east", "2.9.10"]]);
  f.observe(observation("gone", "2.10.27", { cluster: "east" }), 9 * HOUR);
  const inventory = parseInventory({
    servers: [
      { name: "x", labels: { pipeline: "helm" } },
      { name: "a" }, { name: "b" }, { name: "c" }, { name: "gone" }, { name: "never" },
    ],
  });
  const r = buildReport(f, 10 * HOUR, {}, { inventory });
  t.deepEqual(r.inventory, {
    entries: 6,
    missing: [{ name: "gone", cluster: null, last_seen: new Date(9 * HOUR).toISOString() }, { name: "never", cluster: null, last_seen: null }],
    unexpected: [{ name: "y", cluster: "east", version: "2.9.10" }],
    drift: [],
    outliers_by_pipeline: [{ pipeline: "(no pipeline label)", outliers: ["y"] }, { pipeline: "helm", outliers: ["x"] }],
  });
});
