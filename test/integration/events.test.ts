import test from "ava";
import type { NatsConnection } from "@nats-io/nats-core";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { EventLog } from "../helpers/events.js";

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
  // Let any late duplicate arrive before counting.
  await new Promise((r) => setTimeout(r, 1_500));
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
