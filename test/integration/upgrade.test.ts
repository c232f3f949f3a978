import test from "ava";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { startCluster, startMonitor, stopCluster, threeVersions, waitUntil } from "../helpers/cluster.js";

const ctx = {} as { cluster: LocalCluster; monitor: VersionMonitor };
const [oldest, , newest] = threeVersions();

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "up", binaries: [oldest.path, oldest.path, oldest.path] }]);
  ctx.monitor = await startMonitor(ctx.cluster);
  await waitUntil("three servers", () => (ctx.monitor.report().server_count === 3 ? true : undefined));
});

test.after.always(async () => {
  await ctx.monitor?.stop();
  await stopCluster(ctx.cluster);
});

test.serial("one server lame-ducked and restarted on a newer binary is seen at its first advertisement", async (t) => {
  const before = ctx.monitor.report();
  t.true(before.consistent);
  t.is(before.target, oldest.version);
  const firstSeen = before.servers.find((s) => s.name === "up-1")!.first_seen;

  const server = ctx.cluster.server("up-1");
  await server.lameDuck();
  t.false(server.running);

  // The poll interval is 30 s: seeing the new version within a few seconds proves it came from
  // the restarted server's own STATSZ, not from a poll.
  await server.start(newest.path);
  const started = Date.now();
  const r = await waitUntil("the new version in the report", () => {
    const rep = ctx.monitor.report();
    return rep.groups.some((g) => g.version === newest.version) ? rep : undefined;
  }, 10_000);
  t.true(Date.now() - started < 5_000, `seen after ${Date.now() - started} ms`);
  t.is(r.target, oldest.version);
  t.deepEqual(r.outliers.map((o) => [o.name, o.version, o.direction]), [["up-1", newest.version, "newer"]]);
  t.is(r.state, "rolling-upgrade");
  t.regex(r.action, new RegExp(`finish the rolling upgrade to ${newest.version.replace(/\./g, "\\.")}: 2 server\\(s\\) left`));
  t.is(r.outliers[0]?.cause, "upgrade-in-progress");

  const rec = ctx.monitor.fleet.get("up-1")!;
  t.is(new Date(rec.firstSeen).toISOString(), firstSeen, "first seen survives the server's restart");
  t.is(rec.state, "running");
  t.deepEqual(rec.history.map((h) => [h.kind, h.version]), [
    ["first-seen", oldest.version],
    ["upgrade", newest.version],
  ]);
});
