import test from "ava";
import type { NatsConnection } from "@nats-io/nats-core";
import type { VersionReport } from "../../src/core/version-report.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { connect } from "@nats-io/transport-node";
import { fetchUserInfo, parseUserInfo, USER_INFO_SUBJECT } from "../../src/nats/user-info.js";
import { INBOX_PREFIX } from "../../src/nats/connect.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil, requestReport } from "../helpers/cluster.js";

// A hub of two servers and three kinds of leaves, as nats-server really links them:
// - edge-sys: a standalone leaf that links its system account too (it advertises to the hub's $SYS);
// - edge-pair: a leaf cluster of two, each linking its system account;
// - edge-app: a standalone leaf linking only an application account (the hub's LEAFZ names it, nothing more).
const ctx = {} as { cluster: LocalCluster; monitor: VersionMonitor; client: NatsConnection };
const [oldest, middle, newest] = threeVersions();

test.before(async () => {
  ctx.cluster = await startCluster([
    { name: "hub", binaries: [newest.path, middle.path] },
    { name: "edge-sys", binaries: [oldest.path], leaf: { hub: "hub", systemAccount: true } },
    { name: "edge-pair", binaries: [middle.path, oldest.path], leaf: { hub: "hub", systemAccount: true } },
    { name: "edge-app", binaries: [newest.path], leaf: { hub: "hub", systemAccount: false } },
  ]);
  const hubUrls = ctx.cluster.servers.filter((s) => s.config.cluster === "hub").map((s) => s.clientUrl);
  // The hub is stale after 2 s of mismatch; leaves only after an hour (judged on their own).
  ctx.monitor = await startMonitor(ctx.cluster, { server: hubUrls.join(","), "max-mismatch": "2s", "leaf-max-mismatch": "1h", "poll-interval": "1s" });
  ctx.client = await connectAs(ctx.cluster, users.app);
});

test.after.always(async () => {
  await ctx.client?.close();
  await ctx.monitor?.stop();
  await stopCluster(ctx.cluster);
});

const ask = (body = ""): Promise<VersionReport> => requestReport(ctx.client, body);

test.serial("the report tells the hub from leaf servers and leaf clusters, and names the leaf whose version it cannot see", async (t) => {
  const r = await waitUntil("the hub, three leaf servers and the unknown leaf", async () => {
    const report = await ask();
    return report.leaves?.servers === 3 && report.leaves.unknown.length === 1 && report.clusters.length === 3 ? report : undefined;
  }, 30_000);
  // The system verdict is the hub's alone: two servers, its own two versions.
  t.is(r.server_count, 2);
  t.deepEqual(r.groups.map((g) => [g.version, g.count, g.servers]), [[newest.version, 1, ["hub-1"]], [middle.version, 1, ["hub-2"]]]);
  t.is(r.target, newest.version);
  t.deepEqual(r.outliers.map((o) => o.name), ["hub-2"]);
  // Every scope, with its role; a standalone leaf is a cluster of its own name.
  t.deepEqual(r.clusters.map((c) => [c.name, c.role, c.server_count, c.target]), [
    ["edge-pair", "leaf", 2, middle.version],
    ["edge-sys-1", "leaf", 1, oldest.version],
    ["hub", "hub", 2, newest.version],
  ]);
  // The leaves against the hub's target.
  t.deepEqual(r.leaves!.clusters, ["edge-pair", "edge-sys-1"]);
  t.is(r.leaves!.hub_target, newest.version);
  t.deepEqual(r.leaves!.versions, [
    { version: middle.version, count: 1, gap: "minor", direction: "older" },
    { version: oldest.version, count: 2, gap: "minor", direction: "older" },
  ]);
  // The leaf linked only through the application account: named by the hub, version unknown, and what to do.
  const [unknown] = r.leaves!.unknown;
  t.is(unknown!.name, "edge-app-1");
  t.is(unknown!.version, "unknown");
  t.deepEqual(unknown!.accounts, ["APP"]);
  t.true(unknown!.hub === "hub-1" || unknown!.hub === "hub-2", unknown!.hub);
  t.regex(unknown!.action, /add a leafnode remote bound to its system account \(remotes: \[\{ urls: \[\.\.\.\], account: SYS \}\]/);
  t.is(r.leaves!.unnamed_connections, 0);
  t.deepEqual(r.warnings.filter((w) => w.kind === "leaf-version-unknown").map((w) => w.server), ["edge-app-1"]);
  // Leaf servers are marked in the server details; hub servers are not.
  t.deepEqual(r.servers.filter((s) => s.leaf).map((s) => s.name).sort(), ["edge-pair-1", "edge-pair-2", "edge-sys-1"]);
  t.deepEqual(r.servers.filter((s) => !s.leaf).map((s) => s.name).sort(), ["hub-1", "hub-2"]);
});

test.serial("each leaf scope is judged by the leaf policy: the hub goes stale, the leaf cluster does not", async (t) => {
  const r = await waitUntil("the hub stale", async () => {
    const report = await ask();
    return report.clusters.find((c) => c.name === "hub")?.state === "stale" ? report : undefined;
  }, 20_000);
  t.is(r.state, "stale", "the system verdict is the hub's");
  const pair = r.clusters.find((c) => c.name === "edge-pair")!;
  t.is(pair.state, "rolling-upgrade", "a leaf cluster mismatch of seconds is far from the leaf policy's hour");
  t.regex(pair.reasons.join("\n"), /versions 2\.10\.\d+ \(1\), 2\.9\.\d+ \(1\)/);
  const leafOnly = await ask(JSON.stringify({ cluster: "edge-pair" }));
  t.is(leafOnly.state, "rolling-upgrade");
  t.is(leafOnly.server_count, 2);
  t.is(leafOnly.leaves?.hub_target, newest.version, "a leaf cluster's report still compares with the hub");
  // The tracker's system record holds the hub's versions only; the leaf cluster has a record of its own.
  await waitUntil("records", () => (ctx.monitor.tracker.record("cluster:edge-pair") ? true : undefined), 10_000);
  t.deepEqual(ctx.monitor.tracker.record("system")!.versions, [newest.version, middle.version]);
  t.deepEqual(ctx.monitor.tracker.record("cluster:edge-pair")!.versions, [middle.version, oldest.version]);
});

test.serial("who the monitor is, by USER.INFO: the answer of its own server, never the app-account leaf's about its leafnode user", async (t) => {
  // edge-app-1 answers $SYS.REQ.USER.INFO across its leafnode link too, for its leafnode connection's
  // user (denied $KV.>). Taking whichever answer came first failed the start-up check about 1 run in 6.
  for (const hub of ctx.cluster.servers.filter((s) => s.config.cluster === "hub")) {
    const nc = await connect({ servers: hub.clientUrl, user: users.monitor.user, pass: users.monitor.pass, inboxPrefix: INBOX_PREFIX });
    try {
      const answers = await nc.requestMany(USER_INFO_SUBJECT, "", { maxWait: 1000 });
      const from: string[] = [];
      for await (const m of answers) from.push(parseUserInfo(m.data)?.user ?? "?");
      t.true(from.length >= 2 && from.includes(""), `the leaf answers too: ${JSON.stringify(from)}`);
      for (let i = 0; i < 20; i++) {
        const info = await fetchUserInfo(nc);
        t.is(info?.user, users.monitor.user);
        t.is(info?.server, nc.info?.server_id);
      }
    } finally {
      await nc.close();
    }
  }
});
