import test from "ava";
import type { NatsConnection } from "@nats-io/nats-core";
import type { ReportQuery, VersionReport } from "../../src/core/version-report.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil, requestReport } from "../helpers/cluster.js";
import { SimulatedServers } from "../helpers/simulated-servers.js";
import { clustersToProbe } from "../../src/core/reachability.js";

// Reports are rendered by the report worker from its own copy of the fleet; these tests check that
// the copy is the fleet (not an approximation of it) and that requests are answered from the
// renderings, not built while they wait.
const ctx = {} as { cluster: LocalCluster; monitor: VersionMonitor; client: NatsConnection; sys: NatsConnection; sim: SimulatedServers };
const [, middle, newest] = threeVersions();
const SIMULATED = 2000;
/** A clock the test can move ahead and hold still, so that both renderings are of the same instant. */
let held: number | undefined;
const now = () => held ?? Date.now();

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "shelf", binaries: [newest.path] }]);
  ctx.monitor = await startMonitor(ctx.cluster, {}, now);
  ctx.client = await connectAs(ctx.cluster, users.app);
  ctx.sys = await connectAs(ctx.cluster, users.sys);
  ctx.sim = new SimulatedServers(ctx.sys);
  // 10 % on another version, across 20 clusters: outlier lists, per-cluster views.
  for (let i = 0; i < SIMULATED; i++) ctx.sim.add(`sim-${i}`, `c${i % 20}`, i % 10 === 0 ? middle.version : newest.version);
  ctx.sim.advertiseAll();
  await waitUntil("every simulated server in the report", async () => ((await ask()).server_count === SIMULATED + 1 ? true : undefined), 20_000);
});

test.after.always(async () => {
  ctx.sim?.stop();
  await ctx.sys?.close();
  await ctx.client?.close();
  await ctx.monitor?.stop();
  await stopCluster(ctx.cluster);
});

const ask = (body = ""): Promise<VersionReport> => requestReport(ctx.client, body);

test.serial("a change reaches the served report within a second, and no request after the first builds one", async (t) => {
  const before = { ...ctx.monitor.reports.stats };
  // Each {"server": …} query is new: built once on its first request, from then on by the worker.
  for (let i = 1; i <= 5; i++) await ask(JSON.stringify({ server: `sim-${i}` }));
  const delays: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const name = `sim-${i}`;
    const version = i % 2 === 0 ? middle.version : "2.11.9";
    const changed = Date.now();
    ctx.sim.restart(name, version);
    let requests = 0;
    await waitUntil(`${name} on ${version} in the served report`, async () => {
      requests++;
      const r = await ask(JSON.stringify({ server: name }));
      return r.servers[0]?.version === version ? true : undefined;
    }, 5000, 5);
    delays.push(Date.now() - changed);
    t.true(requests >= 1);
  }
  t.log(`change to served report: ${delays.join(", ")} ms`);
  t.true(Math.max(...delays) < 1000, `every change served within 1 s (${delays.join(", ")} ms)`);
  const after = ctx.monitor.reports.stats;
  t.is(after.on_request_builds - before.on_request_builds, 5, "one build on request per new query, none for repeated ones");
  t.true(after.background_builds > before.background_builds, "the worker rendered the changes");
  // The worker's own heap, which the process's heap figures leave out, as $SRV.STATS shows it.
  const memory = (ctx.monitor.stats() as { memory: { heap_used_bytes: number; report_worker_heap_bytes: number } }).memory;
  t.true(memory.report_worker_heap_bytes > 1_000_000 && memory.report_worker_heap_bytes !== memory.heap_used_bytes, JSON.stringify(memory));
});

test.serial("the worker's rendering is byte for byte the report the main thread builds from its own fleet", async (t) => {
  // Changes of every kind first: new servers, restarts on other versions, a cluster of its own.
  for (let i = 0; i < 50; i++) ctx.sim.restart(`sim-${100 + i}`, i % 3 === 0 ? "2.11.9" : middle.version);
  ctx.sim.add("loner", "c-loner", "2.9.10");
  ctx.sim.advertiseAll();
  await waitUntil("the fleet has taken every change", () => (ctx.monitor.report().server_count === SIMULATED + 2 ? true : undefined), 10_000);
  const queries: ReportQuery[] = [{}, { cluster: "c3" }, { page: 3, pageSize: 50 }, { server: "loner" }];
  for (const query of queries) ctx.monitor.encodedReport(query);
  // Hold the clock ahead: the worker's next rendering is of that instant, and stays the last one.
  // The real server's own advertisement (every 10 s) may land between the worker's rendering and
  // the main thread's report and move a last_seen: then the clock moves on and both render again.
  // A real divergence of the two fleets survives every attempt.
  try {
    let differing: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      held = Date.now() + 5000 * attempt;
      const instant = new Date(held).toISOString();
      await waitUntil("a rendering at the held instant", () => (ctx.monitor.reports.stats.rendered_at === instant ? true : undefined), 5000, 20);
      differing = [];
      for (const query of queries) {
        const fromWorker = new TextDecoder().decode(ctx.monitor.encodedReport(query));
        t.is(JSON.parse(fromWorker).generated_at, instant);
        if (fromWorker !== JSON.stringify(ctx.monitor.report(query))) differing.push(JSON.stringify(query));
      }
      if (differing.length === 0) break;
      t.log(`attempt ${attempt}: differing ${differing.join(", ")}`);
    }
    t.deepEqual(differing, [], "the worker's and the main thread's reports are the same bytes");
    // The tracker's judgement of every scope, made by the worker, is the one made here.
    const since = ctx.monitor.tracker.sinceByScope();
    const at = held!;
    const fromWorker = await ctx.monitor.reports.judge(at, ctx.monitor.config.policy, since, () => t.fail("judged on the main thread") as never);
    t.true(fromWorker.length > 20, "the system and every cluster");
    t.deepEqual(fromWorker, ctx.monitor.tracker.judgeHere(at));
    // The clusters to probe, decided by the worker, are the ones this thread would pick: now, and
    // 15 s on, when every server is overdue.
    for (const when of [at, at + 15_000]) {
      // Decided here first, in the same turn the question is posted: the collector's own probes,
      // noted after it, reach the worker after the question.
      const here = clustersToProbe(ctx.monitor.fleet, when);
      const targets = await ctx.monitor.reports.probeTargets(when, () => t.fail("checked on the main thread") as never);
      t.deepEqual(targets, here);
      if (when > at) t.is(targets.length, 21, "every simulated cluster and the real one");
    }
  } finally {
    held = undefined;
  }
});
