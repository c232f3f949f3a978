import test from "ava";
import type { NatsConnection } from "@nats-io/nats-core";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { EventLog } from "../helpers/events.js";

// An upgrade interrupted half-way, with the service's clock moved past the activity window and the
// 24-hour policy; the service restarts in between. Real servers, injected clock.
const HOUR = 3_600_000;
const [oldest, middle] = threeVersions();
const ctx = {} as { cluster: LocalCluster; monitor: VersionMonitor; client: NatsConnection; events: EventLog };
let offset = 0;
const now = () => Date.now() + offset;
// Long enough that no server goes "offline" when the clock jumps.
const flags = { "offline-after": "100h", "evaluate-interval": "200ms" };

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "half", binaries: [oldest.path, oldest.path, oldest.path] }]);
  ctx.client = await connectAs(ctx.cluster, users.app);
  ctx.events = new EventLog(ctx.client);
  await ctx.client.flush();
  ctx.monitor = await startMonitor(ctx.cluster, flags, now);
  await waitUntil("the consistent cluster judged", () => (ctx.monitor.tracker.record("cluster:half") ? true : undefined));
});

test.after.always(async () => {
  ctx.events?.stop();
  await ctx.client?.close();
  await ctx.monitor?.stop();
  await stopCluster(ctx.cluster);
});

const typesOf = () => ctx.events.types("cluster:half");
const waitFor = (type: string) => waitUntil(`a ${type} event`, () => ctx.events.of("cluster:half").find((e) => e.event.type === type), 10_000);

test.serial("interrupted upgrade: detected, then stalled, then stale, each once; a restart keeps the start", async (t) => {
  const server = ctx.cluster.server("half-1");
  await server.stop();
  await server.start(middle.path);
  const detected = await waitFor("detected");
  t.is(detected.event.state, "rolling-upgrade");
  const since = detected.event.since;
  t.truthy(since);

  offset += 2 * HOUR;
  const stalled = await waitFor("stalled");
  t.is(stalled.event.since, since);
  t.regex(stalled.event.reasons.join("\n"), /nothing has happened since/);

  // The service restarts: its first judgement must not announce the mismatch again.
  await ctx.monitor.stop();
  ctx.monitor = await startMonitor(ctx.cluster, flags, now);
  await waitUntil("the restarted service judged", () => (ctx.monitor.tracker.stats.evaluations > 2 ? true : undefined));
  t.is(ctx.monitor.report({ cluster: "half" }).since, since, "the start time came back from KV");
  t.is(ctx.monitor.report({ cluster: "half" }).state, "stalled");

  offset += 23 * HOUR;
  const stale = await waitFor("stale");
  t.is(stale.event.since, since);
  t.true((stale.event.mismatch_seconds ?? 0) > 24 * 3600);
  // Two servers still on the old version are the majority: the one upgraded server is the newer outlier.
  const esc = (v: string) => v.replace(/\./g, "\\.");
  t.regex(stale.event.action, new RegExp(`^half-1 run\\(s\\) the newer ${esc(middle.version)}: finish the upgrade of the rest, or roll those back to ${esc(oldest.version)}`));

  // More ticks, more time: nothing new to say.
  offset += HOUR;
  const evaluations = ctx.monitor.tracker.stats.evaluations;
  await waitUntil("more evaluations", () => (ctx.monitor.tracker.stats.evaluations > evaluations + 3 ? true : undefined));
  t.deepEqual(typesOf(), ["detected", "stalled", "stale"]);
  t.is(ctx.monitor.report().state, "stale");
});
