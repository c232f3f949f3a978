import test from "ava";
import type { NatsConnection } from "@nats-io/nats-core";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { EventLog, eventsSettled } from "../helpers/events.js";
import { runCli } from "../helpers/cli.js";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";

// A real rolling upgrade of a three-server cluster, watched by two instances of the service at once.
// The cluster starts on the middle version: nats-server sends LAMEDUCK events from 2.9.22 on.
const ctx = {} as { cluster: LocalCluster; monitors: VersionMonitor[]; client: NatsConnection; sys: NatsConnection; events: EventLog };
/** When each (server name, version) was first advertised, as a system-account subscriber sees it. */
const firstAdvertised = new Map<string, number>();
const [, middle, newest] = threeVersions();

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "roll", binaries: [middle.path, middle.path, middle.path] }]);
  ctx.client = await connectAs(ctx.cluster, users.app);
  ctx.events = new EventLog(ctx.client);
  await ctx.client.flush();
  ctx.sys = await connectAs(ctx.cluster, users.sys);
  ctx.sys.subscribe("$SYS.SERVER.*.STATSZ", {
    callback: (_err, m) => {
      const { server } = m.json<{ server: { name: string; ver: string } }>();
      const key = `${server.name}@${server.ver}`;
      if (!firstAdvertised.has(key)) firstAdvertised.set(key, Date.now());
    },
  });
  await ctx.sys.flush();
  ctx.monitors = [await startMonitor(ctx.cluster), await startMonitor(ctx.cluster)];
  // Both instances have judged the consistent cluster (warm-up passed, records written).
  await waitUntil("both instances past warm-up", () => (ctx.monitors.every((m) => m.tracker.record("cluster:roll")) ? true : undefined));
});

test.after.always(async () => {
  ctx.events?.stop();
  await ctx.client?.close();
  await ctx.sys?.close();
  for (const m of ctx.monitors ?? []) await m.stop();
  await stopCluster(ctx.cluster);
});

async function upgrade(name: string, binary: string): Promise<number> {
  const server = ctx.cluster.server(name);
  await server.lameDuck();
  await server.start(binary);
  return Date.now();
}

test.serial("rolling upgrade: detected at the first advertisement, one resolved at the end, each once with two instances", async (t) => {
  t.deepEqual(ctx.events.all, [], "a consistent cluster is not announced");

  await upgrade("roll-1", newest.path);
  const detected = await waitUntil("a detected event", () => ctx.events.of("cluster:roll").find((e) => e.event.type === "detected"), 10_000);
  const advertised = firstAdvertised.get(`roll-1@${newest.version}`);
  t.truthy(advertised, "the upgraded server's first STATSZ was seen");
  const latency = detected.receivedAt - advertised!;
  t.log(`detected ${latency} ms after the upgraded server's first advertisement`);
  t.true(latency < 1_000, `${latency} ms`);
  t.is(detected.event.state, "rolling-upgrade");
  t.is(detected.subject, "versions.mismatch.roll");
  t.is(detected.msgId, detected.event.id);
  t.deepEqual(detected.event.versions.map((v) => v.version), [newest.version, middle.version]);
  t.deepEqual(detected.event.outliers.map((o) => [o.name, o.direction, o.cause]), [["roll-1", "newer", "upgrade-in-progress"]]);
  t.truthy(ctx.events.of("system").find((e) => e.event.type === "detected" && e.subject === "versions.mismatch"));

  await upgrade("roll-2", newest.path);
  await upgrade("roll-3", newest.path);
  await waitUntil("a resolved event", () => ctx.events.of("cluster:roll").find((e) => e.event.type === "resolved"), 10_000);
  // Every instance has judged the final state, and every stored event has arrived: nothing more can come.
  await eventsSettled(ctx.client, ctx.events);
  for (const scope of ["cluster:roll", "system"]) {
    const types = ctx.events.types(scope);
    t.is(types.filter((x) => x === "detected").length, 1, `${scope}: ${types.join(", ")}`);
    t.is(types.filter((x) => x === "resolved").length, 1, `${scope}: ${types.join(", ")}`);
    t.is(types.at(-1), "resolved");
    t.true(types.every((x) => ["detected", "changed", "resolved"].includes(x)), types.join(", "));
  }
  const ids = ctx.events.all.map((e) => e.event.id);
  t.is(new Set(ids).size, ids.length, "no event was published twice");
  const published = ctx.monitors.map((m) => Object.values(m.tracker.stats.published).reduce((a, b) => a + b, 0));
  t.is(published[0]! + published[1]!, ctx.events.all.length, `published by the instances: ${published.join(" + ")}`);

  const report = ctx.monitors[0]!.report();
  t.is(report.state, "consistent");
  t.is(report.target, newest.version);
});

test.serial("a downgrade is reported as a rollback", async (t) => {
  const before = ctx.events.all.length;
  await upgrade("roll-2", middle.path);
  const ev = await waitUntil("a detected event after the downgrade", () => ctx.events.all.slice(before).find((e) => e.event.scope === "cluster:roll" && e.event.type === "detected"), 10_000);
  t.deepEqual(ev.event.outliers.map((o) => [o.name, o.version, o.direction, o.cause]), [["roll-2", middle.version, "older", "rollback"]]);
  t.regex(ev.event.action, /roll-2 was rolled back/);
  const r = ctx.monitors[1]!.report({ server: "roll-2" });
  t.regex(r.outliers[0]?.cause_detail ?? "", new RegExp(`rolled back from ${newest.version.replace(/\./g, "\\.")} to ${middle.version.replace(/\./g, "\\.")}`));
  const history = ctx.monitors[0]!.fleet.get("roll-2")!.history.map((h) => h.kind);
  t.deepEqual(history, ["first-seen", "upgrade", "downgrade"]);
});

test.serial("history: versions.events answers newest first, by scope, cluster and type, a page at a time; the CLI prints a timeline", async (t) => {
  const all = ctx.events.all.map((e) => e.event);
  t.true(all.length >= 4);
  const ask = async (body: unknown) => {
    const m = await ctx.client.request("versions.events", body === undefined ? "" : JSON.stringify(body), { timeout: 5000 });
    t.falsy(m.headers?.get("Nats-Service-Error"), m.headers?.get("Nats-Service-Error") ?? "");
    return m.json<{ stream: string; events: { stream_seq: number; event: { id: string; scope: string; type: string } }[]; matched: number; more: boolean }>();
  };
  const everything = await ask(undefined);
  t.is(everything.stream, "version-monitor-events");
  t.deepEqual(everything.events.map((e) => e.event.id), all.map((e) => e.id).reverse(), "every event the subscriber saw, newest first");
  const seqs = everything.events.map((e) => e.stream_seq);
  t.deepEqual(seqs, [...seqs].sort((a, b) => b - a));

  const cluster = await ask({ cluster: "roll", limit: 2 });
  const ofCluster = all.filter((e) => e.scope === "cluster:roll").map((e) => e.id).reverse();
  t.deepEqual(cluster.events.map((e) => e.event.id), ofCluster.slice(0, 2));
  t.is(cluster.matched, ofCluster.length);
  t.is(cluster.more, ofCluster.length > 2);
  const page2 = await ask({ scope: "cluster:roll", limit: 2, page: 2 });
  t.deepEqual(page2.events.map((e) => e.event.id), ofCluster.slice(2, 4));
  const resolved = await ask({ scope: "system", type: "resolved" });
  t.deepEqual(resolved.events.map((e) => e.event.id), all.filter((e) => e.scope === "system" && e.type === "resolved").map((e) => e.id).reverse());

  for (const bad of ['{"scope":"nowhere"}', '{"type":"exploded"}', '{"limit":0}', '{"limit":1001}', '{"colour":1}', "[]"]) {
    const m = await ctx.client.request("versions.events", bad, { timeout: 5000 });
    t.is(m.headers?.get("Nats-Service-Error-Code"), "400", bad);
  }

  const flags = ["--server", ctx.cluster.urls[0]!, "--user", users.app.user, "--password", users.app.pass];
  const out = await runCli(["events", "--cluster", "roll", ...flags]);
  t.is(out.code, 0, out.stderr);
  const lines = out.stdout.split("\n").filter((l) => /^\S+Z  cluster:roll  #\d+ /.test(l));
  t.is(lines.length, ofCluster.length);
  t.regex(lines.at(-1)!, /#\d+ detected  consistent -> rolling-upgrade/, "oldest first, the newest last");
  t.regex(out.stdout, new RegExp(`${ofCluster.length} of ${ofCluster.length} event\\(s\\) in version-monitor-events`));
  const bad = await runCli(["events", "--type", "exploded", ...flags]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /^nats-version-monitor: service error 400: "type" must be one of/);
});

test.serial("least privilege: the plain app user reads the history with its own consumer, and cannot write to the event stream", async (t) => {
  const js = jetstream(ctx.client);
  const c = await js.consumers.get("version-monitor-events", { deliver_policy: DeliverPolicy.All });
  const first = await c.next({ expires: 2000 });
  t.truthy(first?.json<{ id: string }>().id);
  await t.throwsAsync(js.publish("version-monitor-events.mismatch", "{}", { timeout: 2000 }));
  const jsm = await jetstreamManager(ctx.client);
  await t.throwsAsync(jsm.streams.purge("version-monitor-events"));
});
