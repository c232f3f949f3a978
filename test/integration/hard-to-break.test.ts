import test from "ava";
import { randomBytes } from "node:crypto";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import type { VersionReport } from "../../src/core/version-report.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import { VersionMonitor } from "../../src/monitor.js";
import { captureLogger, connectAs, monitorConfig, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { permissionError } from "../helpers/permissions.js";

const [oldest, middle, newest] = threeVersions();
const ctx = {} as { cluster: LocalCluster; monitor: VersionMonitor; app: NatsConnection; sys: NatsConnection };

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "hard", binaries: [oldest.path, middle.path, newest.path] }]);
  ctx.monitor = await startMonitor(ctx.cluster);
  ctx.app = await connectAs(ctx.cluster, users.app);
  ctx.sys = await connectAs(ctx.cluster, users.sys);
  await waitUntil("three servers", () => (ctx.monitor.report().server_count === 3 ? true : undefined));
});

test.after.always(async () => {
  await ctx.app?.close();
  await ctx.sys?.close();
  await ctx.monitor?.stop();
  await stopCluster(ctx.cluster);
});

/** Bodies a careless or hostile caller might send. */
function badBodies(): (string | Uint8Array)[] {
  const out: (string | Uint8Array)[] = ["{", "}", "nul", "[]", "[{}]", "42", '"cluster"', "true", "null", "{{}}", '{"cluster":}', "\u0000\u0001"];
  const wrongTypes = [1, -1, 0, 1.5, true, null, [], {}, "", "x".repeat(300)];
  for (const field of ["cluster", "server", "page", "page_size"]) {
    for (const v of wrongTypes) {
      if ((field === "cluster" || field === "server") && typeof v === "string" && v.length > 0 && v.length <= 256) continue;
      if ((field === "page" || field === "page_size") && v === 1) continue;
      out.push(JSON.stringify({ [field]: v }));
    }
  }
  for (let i = 0; i < 60; i++) out.push(JSON.stringify({ [`field${i}`]: i }));
  for (let i = 0; i < 100; i++) out.push(randomBytes(1 + (i % 64)));
  for (const size of [4097, 10_000, 100_000, 900_000]) out.push("{" + " ".repeat(size) + "}");
  out.push(JSON.stringify({ page_size: 1e9 }), JSON.stringify({ page: 2 ** 53 }), '{"cluster":"a","cluster":5}');
  return out.filter((b) => {
    // Random bytes can happen to be whitespace only, which is a valid "no filter" request.
    return typeof b === "string" || new TextDecoder().decode(b).trim() !== "";
  });
}

test.serial("hundreds of bad requests get micro errors; the service stays up and answers a good one", async (t) => {
  const bodies = badBodies();
  t.true(bodies.length >= 200, `${bodies.length} bodies`);
  const codes = new Map<string, number>();
  for (const body of bodies) {
    const msg = await ctx.app.request("versions.report", body, { timeout: 5000 });
    const code = msg.headers?.get("Nats-Service-Error-Code") ?? "none";
    codes.set(code, (codes.get(code) ?? 0) + 1);
    if (code === "none") t.fail(`accepted: ${String(body).slice(0, 60)}`);
    t.true((msg.headers?.get("Nats-Service-Error") ?? "").length > 10);
  }
  t.log(`answers by error code: ${JSON.stringify(Object.fromEntries(codes))}`);
  t.deepEqual([...codes.keys()].sort(), ["400", "413"]);
  const good = (await ctx.app.request("versions.report", "", { timeout: 5000 })).json<VersionReport>();
  t.is(good.server_count, 3);
});

test.serial("garbage on the $SYS subjects is ignored and counted, never stored", async (t) => {
  const before = structuredClone(ctx.monitor.collector.stats.rejected);
  const info = { name: "evil", id: "NEVIL", cluster: "hard", ver: "2.10.1" };
  const garbage: [string, string | Uint8Array][] = [
    ["$SYS.SERVER.NEVIL.STATSZ", "not json"],
    ["$SYS.SERVER.NEVIL.STATSZ", "[]"],
    ["$SYS.SERVER.NEVIL.STATSZ", JSON.stringify({ statsz: {} })],
    ["$SYS.SERVER.NEVIL.STATSZ", JSON.stringify({ server: { ...info, id: 5 } })],
    ["$SYS.SERVER.NEVIL.STATSZ", JSON.stringify({ server: { ...info, ver: "9999999999999999999999.0.0" } })],
    ["$SYS.SERVER.NEVIL.STATSZ", JSON.stringify({ server: { ...info, ver: "latest" } })],
    ["$SYS.SERVER.NEVIL.STATSZ", "{" + " ".repeat(600_000) + "}"],
    ["$SYS.SERVER.NEVIL.LAMEDUCK", "{}"],
    ["$SYS.SERVER.NEVIL.SHUTDOWN", randomBytes(64)],
  ];
  for (const [subject, payload] of garbage) ctx.sys.publish(subject, payload);
  await ctx.sys.flush();
  await waitUntil("all garbage counted", () => {
    const r = ctx.monitor.collector.stats.rejected;
    const total = Object.values(r).reduce((a, b) => a + b, 0) - Object.values(before).reduce((a, b) => a + b, 0);
    return total >= garbage.length ? true : undefined;
  });
  const after = ctx.monitor.collector.stats.rejected;
  t.true(after["not-json"] > before["not-json"]);
  t.true(after["bad-version"] >= before["bad-version"] + 2);
  t.true(after["too-large"] > before["too-large"]);
  t.is(ctx.monitor.fleet.get("evil"), undefined);
  // Visible to operators in `nats micro stats`.
  const stats = (await ctx.app.request("$SRV.STATS.version-monitor", "", { timeout: 5000 })).json<{ endpoints: { data: { ingest: { rejected: Record<string, number> } } }[] }>();
  t.true(stats.endpoints[0]!.data.ingest.rejected["bad-version"]! >= 2);
  t.is(ctx.monitor.report().server_count, 3);
});

test.serial("a KV entry that does not decode is skipped with a warning, not a crash", async (t) => {
  const nc = await connectAs(ctx.cluster, users.monitor);
  t.teardown(() => nc.close());
  const kv = await new Kvm(nc).open("version-monitor");
  await kv.put("servers.broken", "{not json");
  await kv.put("servers.wrong", JSON.stringify({ schema: 1, name: "wrong" }));
  await kv.put("mismatch.garbage", "???");
  await ctx.monitor.stop();
  const { log, lines } = captureLogger("warn");
  ctx.monitor = await VersionMonitor.start({ config: monitorConfig(ctx.cluster), log });
  t.is(ctx.monitor.store.stats.skippedEntries, 2);
  const warnings = lines().filter((l) => /does not decode/.test(String(l["msg"])));
  t.deepEqual(warnings.map((w) => w["key"]).sort(), ["mismatch.garbage", "servers.broken", "servers.wrong"]);
  t.is(ctx.monitor.report().server_count, 3);
});

test.serial("least privilege: the monitor's system user reads advertisements and pings, nothing else", async (t) => {
  const nc = await connectAs(ctx.cluster, users.monitorSys);
  t.teardown(() => nc.close());
  t.truthy(await permissionError(nc, "$SYS.REQ.SERVER.PING.CONNZ", () => nc.publish("$SYS.REQ.SERVER.PING.CONNZ", "")));
  t.truthy(await permissionError(nc, "$SYS.REQ.ACCOUNT.APP.CONNZ", () => nc.publish("$SYS.REQ.ACCOUNT.APP.CONNZ", "")));
  t.truthy(await permissionError(nc, "$SYS.SERVER.NX.STATSZ", () => nc.publish("$SYS.SERVER.NX.STATSZ", "{}")), "cannot forge advertisements");
  t.truthy(await permissionError(nc, "$SYS.ACCOUNT.>", () => nc.subscribe("$SYS.ACCOUNT.>")));
  t.truthy(await permissionError(nc, "_INBOX.>", () => nc.subscribe("_INBOX.>")));
  t.is(await permissionError(nc, "$SYS.REQ.SERVER.PING", () => nc.publish("$SYS.REQ.SERVER.PING", "")), undefined);
  t.is(await permissionError(nc, "$SYS.SERVER.*.STATSZ", () => nc.subscribe("$SYS.SERVER.*.STATSZ")), undefined);
});

test.serial("least privilege: the monitor's application user keeps to its bucket, service and events", async (t) => {
  const nc = await connectAs(ctx.cluster, users.monitor);
  t.teardown(() => nc.close());
  t.truthy(await permissionError(nc, "orders.new", () => nc.publish("orders.new", "x")));
  t.truthy(await permissionError(nc, "$KV.other-bucket.k", () => nc.publish("$KV.other-bucket.k", "x")));
  t.truthy(await permissionError(nc, "$JS.API.STREAM.DELETE.KV_version-monitor", () => nc.publish("$JS.API.STREAM.DELETE.KV_version-monitor", "")));
  t.truthy(await permissionError(nc, "orders.>", () => nc.subscribe("orders.>")));
  // Events reach versions.mismatch through the event stream; the monitor publishes there itself only
  // what the stream stored and did not republish, so it may publish on the events' subjects and no other.
  t.truthy(await permissionError(nc, "versions.report.x", () => nc.publish("versions.report.x", "{}")));
  t.truthy(await permissionError(nc, "$JS.API.STREAM.DELETE.version-monitor-events", () => nc.publish("$JS.API.STREAM.DELETE.version-monitor-events", "")));
  t.is(await permissionError(nc, "version-monitor-events.mismatch", () => nc.publish("version-monitor-events.mismatch", "{}")), undefined);
});

test.serial("least privilege: a plain application user may read the report and events, not write the bucket", async (t) => {
  const nc = ctx.app;
  t.truthy(await permissionError(nc, "$KV.version-monitor.servers.hard-1", () => nc.publish("$KV.version-monitor.servers.hard-1", "{}")));
  t.truthy(await permissionError(nc, "$JS.API.STREAM.PURGE.KV_version-monitor", () => nc.publish("$JS.API.STREAM.PURGE.KV_version-monitor", "")));
  t.truthy(await permissionError(nc, "versions.mismatch", () => nc.publish("versions.mismatch", "{}")), "cannot forge events");
  t.truthy(await permissionError(nc, "version-monitor-events.mismatch", () => nc.publish("version-monitor-events.mismatch", "{}")), "cannot forge stored events");
  t.truthy(await permissionError(nc, "$JS.API.STREAM.PURGE.version-monitor-events", () => nc.publish("$JS.API.STREAM.PURGE.version-monitor-events", "")));
  t.is(await permissionError(nc, "versions.mismatch.>", () => nc.subscribe("versions.mismatch.>")), undefined);
  t.is((await nc.request("versions.report", "", { timeout: 5000 })).json<VersionReport>().server_count, 3);
});
