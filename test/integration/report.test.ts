import test from "ava";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import { encodeServerKey } from "../../src/core/server-key.js";
import { decodeServerRecord } from "../../src/core/server-record-codec.js";
import type { VersionReport } from "../../src/core/version-report.js";
import { parseVersion } from "../../src/core/version.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil, requestReport } from "../helpers/cluster.js";

// Module state rather than t.context: ava gives each test a shallow copy of the context, and the
// restart test replaces the monitor that the after hook must stop.
const ctx = {} as { cluster: LocalCluster; monitor: VersionMonitor; client: NatsConnection };
const [oldest, middle, newest] = threeVersions();

test.before(async () => {
  const cluster = await startCluster([{ name: "mixed", binaries: [oldest.path, middle.path, newest.path] }]);
  ctx.cluster = cluster;
  ctx.monitor = await startMonitor(cluster);
  ctx.client = await connectAs(cluster, users.app);
  await waitUntil("three servers with go versions", () => {
    const r = ctx.monitor.report();
    return r.server_count === 3 && r.servers.every((s) => s.go) ? true : undefined;
  });
});

test.after.always(async () => {
  await ctx.client?.close();
  await ctx.monitor?.stop();
  await stopCluster(ctx.cluster);
});

const ask = (body = ""): Promise<VersionReport> => requestReport(ctx.client, body);

test.serial("versions.report of a real cluster of three nats-server versions", async (t) => {
  const r = await ask();
  t.is(r.server_count, 3);
  // One server per version: the tie goes to the newest.
  t.is(r.target, newest.version);
  t.false(r.consistent);
  t.deepEqual(
    r.groups.map((g) => [g.version, g.count, g.servers]),
    [
      [newest.version, 1, ["mixed-3"]],
      [middle.version, 1, ["mixed-2"]],
      [oldest.version, 1, ["mixed-1"]],
    ],
  );
  // The installed servers are 2.9, 2.10 and 2.15: both outliers are a NATS "major" step (minor grade) behind.
  t.deepEqual(
    [oldest, middle, newest].map((b) => parseVersion(b.version)!.semver.minor).filter((m, i, all) => all.indexOf(m) === i).length,
    3,
    "three different minor lines installed",
  );
  t.deepEqual(
    r.outliers.map((o) => [o.name, o.version, o.direction, o.gap]),
    [
      ["mixed-1", oldest.version, "older", "minor"],
      ["mixed-2", middle.version, "older", "minor"],
    ],
  );
  t.not(r.gap, "none");
  t.deepEqual(r.clusters.map((c) => [c.name, c.server_count, c.target, c.consistent]), [["mixed", 3, newest.version, false]]);
  for (const s of r.servers) {
    t.regex(s.go ?? "", /^go1\./, `${s.name} go version from VARZ`);
    t.true((s.uptime_seconds ?? -1) >= 0);
    t.true(Date.parse(s.first_seen) <= Date.parse(r.generated_at));
    t.is(s.state, "running");
    t.is(s.cluster, "mixed");
  }
  // A cluster that just started is indistinguishable from one being upgraded right now.
  t.is(r.state, "rolling-upgrade");
  t.regex(r.action, new RegExp(`finish the rolling upgrade to ${newest.version.replace(/\./g, "\\.")}: 2 server\\(s\\) left`));
});

test.serial("cluster and server filters", async (t) => {
  const byCluster = await ask(JSON.stringify({ cluster: "mixed" }));
  t.is(byCluster.server_count, 3);
  const one = await ask(JSON.stringify({ server: "mixed-1" }));
  t.deepEqual(one.servers.map((s) => s.version), [oldest.version]);
  const paged = await ask(JSON.stringify({ page: 2, page_size: 2 }));
  t.deepEqual(paged.servers.map((s) => s.name), ["mixed-3"]);
  t.like(paged.page, { number: 2, size: 2, total_servers: 3, total_pages: 2 });
  // A page size above the default is honoured, not cut to it.
  t.like((await ask(JSON.stringify({ page_size: 500 }))).page, { size: 500, total_pages: 1 });
  const none = await ask(JSON.stringify({ cluster: "elsewhere" }));
  t.is(none.server_count, 0);
  t.is(none.target, null);
});

test.serial("a bad request body gets a micro error 400 and the service keeps answering", async (t) => {
  for (const [body, text] of [
    ["{nope", /not JSON/],
    ["[1]", /must be a JSON object/],
    ['{"colour":"red"}', /unknown field "colour"/],
    ['{"page":"one"}', /"page" must be an integer/],
  ] as const) {
    const msg = await ctx.client.request("versions.report", body, { timeout: 5000 });
    t.is(msg.headers?.get("Nats-Service-Error-Code"), "400", body);
    t.regex(msg.headers?.get("Nats-Service-Error") ?? "", text);
  }
  t.is((await ask()).server_count, 3);
});

test.serial("$SRV PING, INFO and STATS answer as the micro protocol (ADR-32) specifies", async (t) => {
  const nc = ctx.client;
  const ping = (await nc.request("$SRV.PING.version-monitor", "", { timeout: 5000 })).json<Record<string, unknown>>();
  t.like(ping, { type: "io.nats.micro.v1.ping_response", name: "version-monitor" });
  t.regex(String(ping["version"]), /^\d+\.\d+\.\d+/);
  t.is(typeof ping["id"], "string");

  const info = (await nc.request("$SRV.INFO.version-monitor", "", { timeout: 5000 })).json<Record<string, any>>();
  t.is(info["type"], "io.nats.micro.v1.info_response");
  t.true(String(info["description"]).length > 0);
  t.is(info["endpoints"].length, 3);
  t.like(info["endpoints"][0], { name: "report", subject: "versions.report", queue_group: "q" });
  t.like(info["endpoints"][1], { name: "events", subject: "versions.events", queue_group: "q" });
  t.like(info["endpoints"][2], { name: "upgrade", subject: "versions.upgrade", queue_group: "q" });
  t.true(Object.keys(info["endpoints"][0].metadata).includes("request"));

  const before = (await nc.request("$SRV.STATS.version-monitor", "", { timeout: 5000 })).json<Record<string, any>>();
  await ask();
  const stats = (await nc.request("$SRV.STATS.version-monitor", "", { timeout: 5000 })).json<Record<string, any>>();
  t.is(stats["type"], "io.nats.micro.v1.stats_response");
  t.is(typeof stats["started"], "string");
  const ep = stats["endpoints"][0];
  t.is(ep.num_requests, before["endpoints"][0].num_requests + 1);
  t.true(ep.data.ingest.received.stats >= 3);
  t.is(ep.data.servers, 3);
});

test.serial("KV entries hold each server's state; first-seen times survive a restart of the service", async (t) => {
  const { cluster } = ctx;
  const nc = await connectAs(cluster, users.monitor);
  t.teardown(() => nc.close());
  const kv = await new Kvm(nc).open("version-monitor");
  const status = await kv.status();
  t.is(status.replicas, 3, "R3 across the three mixed-version servers");

  await ctx.monitor.store.flush();
  const stored = new Map<string, ReturnType<typeof decodeServerRecord>>();
  for (const name of ["mixed-1", "mixed-2", "mixed-3"]) {
    const entry = await kv.get(encodeServerKey(name));
    t.truthy(entry, name);
    const rec = decodeServerRecord(entry!.value);
    t.is(rec.name, name);
    t.is(rec.cluster, "mixed");
    t.is(rec.state, "running");
    t.regex(rec.go ?? "", /^go1\./);
    stored.set(name, rec);
  }
  t.is(stored.get("mixed-1")!.version, oldest.version);

  const before = await ask();
  await ctx.monitor.stop();
  ctx.monitor = await startMonitor(cluster);
  const after = ctx.monitor.report();
  // Straight from KV, before any advertisement arrives.
  t.is(after.server_count, 3);
  for (const s of before.servers) {
    t.is(after.servers.find((x) => x.name === s.name)?.first_seen, s.first_seen, s.name);
    t.is(new Date(stored.get(s.name)!.firstSeen).toISOString(), s.first_seen);
  }
  // And answering on the wire again, once the new endpoint's interest has reached every server.
  const again = await waitUntil("the restarted service to answer", () => ask().catch(() => undefined));
  t.deepEqual(again.servers.map((s) => s.first_seen), before.servers.map((s) => s.first_seen));
});
