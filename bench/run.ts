// npm run bench: every benchmark against real nats-server processes on this machine; writes BENCHMARKS.md.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/nats-core";
import { LocalCluster } from "../src/local-cluster/local-cluster.js";
import { installedServerBinaries } from "../src/local-cluster/server-binaries.js";
import { VersionMonitor } from "../src/monitor.js";
import { connectAs, captureLogger, monitorConfig, startCluster, stopCluster, users, waitUntil } from "../test/helpers/cluster.js";
import { benchCliStartup } from "./cli-startup.js";
import { heapProbeFlags, liveHeap, spawnService as spawnServiceProcess, stopChild } from "./service-process.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const binaries = installedServerBinaries();
const newest = binaries.at(-1)!;
const middle = binaries[Math.floor(binaries.length / 2)]!;
const out: string[] = [];
const say = (line = "") => {
  out.push(line);
  process.stderr.write(line + "\n");
};
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const ms = (x: number) => x.toFixed(3);
const FLOOR_SUBJECT = "versions.bench.floor";

/** The simulator (a separate process); with `everyMs` it keeps advertising until `stop()`. */
/** `change`: the fraction the last round moves to another version; `{ everyRound }`: on it in every round (repeats of such a fleet). */
function simulator(cluster: LocalCluster, count: number, rounds: number, change: number | { everyRound: number }, prefix: string, everyMs?: number, clusters?: number) {
  const fraction = typeof change === "number" ? String(change) : `=${change.everyRound}`;
  const args = ["--import", "tsx", "bench/simulate-statsz.ts", cluster.urls[0]!, users.sys.user, users.sys.pass, String(count), String(rounds), fraction, prefix];
  const tail = clusters !== undefined ? [String(everyMs ?? 0), String(clusters)] : everyMs ? [String(everyMs)] : [];
  const child = spawn(process.execPath, [...args, ...tail], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  const published = new Promise<{ published: number; ms: number }>((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (d) => {
      text += String(d);
      if (text.includes("\n")) resolve(JSON.parse(text.split("\n")[0]!));
    });
    child.on("close", (code) => (code === 0 || code === null ? undefined : reject(new Error(`simulator exited ${code}`))));
  });
  // Its CPU time, sampled while it runs: /proc forgets a process once it has exited.
  let cpu = 0;
  const sampler = setInterval(() => (cpu = cpuSeconds(child.pid) ?? cpu), 100);
  child.on("close", () => clearInterval(sampler));
  return { published, cpu: () => cpu, stop: () => stopChild(child) };
}

function simulate(cluster: LocalCluster, count: number, rounds: number, change: number, prefix: string): Promise<{ published: number; ms: number }> {
  return simulator(cluster, count, rounds, change, prefix).published;
}

async function startMonitor(cluster: LocalCluster, flags: Record<string, string> = {}): Promise<VersionMonitor> {
  return VersionMonitor.start({
    config: monitorConfig(cluster, { "offline-after": "10h", ...flags }),
    log: captureLogger("warn").log,
  });
}

/** `serve` as users run it, remembering servers for the whole run. */
function spawnService(cluster: LocalCluster, flags: string[] = [], nodeFlags: readonly string[] = []) {
  return spawnServiceProcess(cluster, ["--offline-after", "10h", ...flags], nodeFlags);
}

/** The floor (bench/floor-server.ts) in its own process. */
async function startFloor(cluster: LocalCluster) {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/floor-server.ts", cluster.urls[0]!, users.admin.user, users.admin.pass], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d) => String(d).includes("ready") && resolve());
    child.on("close", (code) => reject(new Error(`floor exited ${code}`)));
  });
  return { stop: () => void child.kill("SIGTERM") };
}

async function serviceStats(nc: NatsConnection): Promise<Record<string, any>> {
  const m = await nc.request("$SRV.STATS.version-monitor", "", { timeout: 2000 });
  return m.json<{ endpoints: { name: string; data: Record<string, any> }[] }>().endpoints[0]!.data;
}

async function reportOf(nc: NatsConnection): Promise<{ bytes: number; report: { server_count: number; groups: { version: string; count: number }[] } } | undefined> {
  const m = await nc.request("versions.report", "", { timeout: 2000 }).catch(() => undefined);
  if (!m || m.headers?.get("Nats-Service-Error")) return undefined;
  return { bytes: m.data.length, report: m.json() };
}

async function timed(nc: NatsConnection, subject: string): Promise<number> {
  const t = performance.now();
  await nc.request(subject, "", { timeout: 5000 });
  return performance.now() - t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function benchIngest(): Promise<LocalCluster> {
  say("## 2. Ingest of STATSZ advertisements");
  say();
  say("A separate simulator process publishes STATSZ advertisements through the system account, as large as real ones (~1.9 KB:");
  say("the real server's own STATSZ as the template; clusters of 3 servers, each listing the other two four times, as 2.10+ does):");
  say("one round to introduce the servers, then five rounds in which the last moves 10 % of them to a new version.");
  say("Rate = advertisements processed by the service / time from the first one received to the last one processed. The");
  say("service runs in the bench's own process here (its counters are read directly), its report worker included. Heap =");
  say("the main thread's, after a full GC, per server; the worker's copy of the fleet is not in it. The run lasts seconds, far");
  say("less than the last-seen flush: writes here are the version changes only; section 4 measures writes over flush windows.");
  say();
  say("| servers | advertisements | processed per second | simulator published per second | heap per tracked server | KV writes |");
  say("| --- | --- | --- | --- | --- | --- |");
  let keep: LocalCluster | undefined;
  for (const n of [1_000, 10_000]) {
    const cluster = await startCluster([{ name: "ingest", binaries: [newest.path] }]);
    const monitor = await startMonitor(cluster);
    try {
      await waitUntil("the real server", () => (monitor.fleet.size >= 1 ? true : undefined));
      gc();
      const heap0 = process.memoryUsage().heapUsed;
      await simulate(cluster, n, 1, 0, "s");
      await waitUntil(`${n} servers`, () => (monitor.fleet.size >= n + 1 ? true : undefined), 60_000);
      await monitor.store.flush();
      gc();
      const perServer = (process.memoryUsage().heapUsed - heap0) / n;
      const received0 = monitor.collector.stats.received.stats;
      const writes0 = monitor.store.stats.writes;
      const rounds = 5;
      const sim = simulate(cluster, n, rounds, 0.1, "s");
      // From the first advertisement in, so that the simulator's own start-up is not counted.
      await waitUntil("the first advertisement", () => (monitor.collector.stats.received.stats > received0 ? true : undefined), 30_000, 1);
      const t0 = performance.now();
      const expected = received0 + n * rounds;
      await waitUntil("all advertisements processed", () => (monitor.collector.stats.received.stats >= expected ? true : undefined), 120_000, 5);
      const elapsed = performance.now() - t0;
      const simResult = await sim;
      await monitor.store.flush();
      const processed = monitor.collector.stats.received.stats - received0;
      const writes = monitor.store.stats.writes - writes0;
      const changed = n * 0.1;
      say(
        `| ${n.toLocaleString("en")} | ${processed.toLocaleString("en")} | ${Math.round(processed / (elapsed / 1000)).toLocaleString("en")} | ` +
          `${Math.round(simResult.published / (simResult.ms / 1000)).toLocaleString("en")} | ${Math.round(perServer).toLocaleString("en")} B | ` +
          `${writes} (${changed} servers changed version) |`,
      );
    } finally {
      await monitor.stop();
      if (n === 10_000) keep = cluster;
      else await stopCluster(cluster);
    }
  }
  say();
  return keep!;
}

async function benchColdStart(cluster: LocalCluster): Promise<void> {
  say("## 3. Cold start with 10,000 servers in the bucket");
  say();
  const nc = await connectAs(cluster, users.app);
  const times: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const service = spawnService(cluster);
      await waitUntil("a report of 10,001 servers", async () => {
        const m = await nc.request("versions.report", "", { timeout: 500 }).catch(() => undefined);
        return m && !m.headers?.get("Nats-Service-Error") && m.json<{ server_count: number }>().server_count >= 10_001 ? true : undefined;
      }, 30_000, 10);
      times.push(performance.now() - t0);
      await service.stop();
    }
  } finally {
    await nc.close();
  }
  say(`From \`node dist/cli/main.js serve\` being spawned to the first correct report (10,001 servers): ${times.map((t) => `${Math.round(t)} ms`).join(", ")} (median ${Math.round(quantile(times, 0.5))} ms).`);
  say();
}

// ---------------------------------------------------------------------------------------------
// §1 versions.report against the floor, in the three cases users meet.

interface Latencies {
  readonly report: number[];
  readonly floor: number[];
}

/** Back to back, nothing changing: what a dashboard polling hard gets. */
async function cacheHit(nc: NatsConnection, n: number): Promise<Latencies> {
  const out: Latencies = { report: [], floor: [] };
  for (let i = 0; i < 100; i++) await timed(nc, "versions.report"), await timed(nc, FLOOR_SUBJECT);
  for (let i = 0; i < n; i++) {
    out.report.push(await timed(nc, "versions.report"));
    out.floor.push(await timed(nc, FLOOR_SUBJECT));
  }
  return out;
}

/** Whether a report shows the change just made. */
type ShowsChange = (r: { groups: { version: string; count: number }[] }) => boolean;

/**
 * The first request after a change: a server advertises a new version and the request follows at
 * once, while the service is still taking the change in. Also counts whether that answer already
 * showed the change, and how long until one did. The floor is timed the same way, right after the
 * change back, so that both pay what the machine does with a change (the server routing it, the
 * service taking it in on another core); timed once the change had been served, the floor met a
 * quiet machine and the report a busy one.
 */
async function cold(nc: NatsConnection, sys: NatsConnection, n: number): Promise<Latencies & { fresh: number; visibleAfter: number[] }> {
  const out = { report: [] as number[], floor: [] as number[], fresh: 0, visibleAfter: [] as number[] };
  const base = (await reportOf(nc))!.report.groups.find((g) => g.version === "2.11.1")?.count ?? 0;
  let seq = 0;
  // A server of the bench's own moves between the majority version and the outliers' one.
  const change = async (upgraded: boolean) => {
    const id = "NCOLDPROBE0001";
    const msg = {
      server: { name: "cold-probe", host: "10.0.0.2", id, cluster: "c0", ver: upgraded ? "2.11.1" : "2.10.27", jetstream: true, seq: seq++, time: new Date().toISOString() },
      statsz: { start: new Date(Date.now() - 1000).toISOString(), mem: 1, cores: 1, connections: 1, routes: [] },
    };
    sys.publish(`$SYS.SERVER.${id}.STATSZ`, JSON.stringify(msg));
    await sys.flush();
    const expected = base + (upgraded ? 1 : 0);
    const shows: ShowsChange = (r) => (r.groups.find((g) => g.version === "2.11.1")?.count ?? 0) === expected;
    return shows;
  };
  // Polled every 20 ms: polled every 2 ms, the 160 KB copies of the replies (nats.js copies each
  // reply into one buffer to write it) made the service's main thread run a major collection about
  // once a second (56 in 70 s, against 1 at 20 ms), and they landed on the timed requests.
  const served = async (shows: ShowsChange) =>
    waitUntil("the change in the report", async () => {
      const r = await reportOf(nc);
      return r && shows(r.report) ? true : undefined;
    }, 10_000, SERVED_POLL_MS);
  for (let i = 0; i < n; i++) {
    const shows = await change(true);
    const changed = performance.now();
    const m = await nc.request("versions.report", "", { timeout: 5000 });
    out.report.push(performance.now() - changed);
    if (shows(m.json())) out.fresh++;
    else {
      await served(shows);
      out.visibleAfter.push(performance.now() - changed);
    }
    await sleep(100);
    const back = await change(false);
    out.floor.push(await timed(nc, FLOOR_SUBJECT));
    await served(back);
    await sleep(100);
  }
  return out;
}

/**
 * An operator's pace: a request now and then, never two renderings apart (the worker renders at most
 * every 50 ms), the floor in between; `n` of each, spaced 50-150 ms at random so that requests fall at
 * every point of the service's own cycles (advertisements, renderings, flushes).
 */
async function operatorPace(nc: NatsConnection, n: number): Promise<Latencies> {
  const out: Latencies = { report: [], floor: [] };
  for (let i = 0; i < n; i++) {
    out.report.push(await timed(nc, "versions.report"));
    await sleep(50 + Math.random() * 100);
    out.floor.push(await timed(nc, FLOOR_SUBJECT));
    await sleep(50 + Math.random() * 100);
  }
  return out;
}

/** The floor alone, `n` requests of `bytes` 20 ms apart: what a request costs on this machine right now. */
async function machineTail(nc: NatsConnection, bytes: number, n: number): Promise<number[]> {
  await nc.request("versions.bench.floor.size", String(bytes), { timeout: 2000 });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await timed(nc, FLOOR_SUBJECT));
    await sleep(20);
  }
  return out;
}

/**
 * Section 1 measures the steady state: one advertisement interval after the last server joined,
 * every server has advertised again, and the service's writes for the new ones are done (it has
 * written nothing for a second). Measured at once, the first case took in the joining itself
 * (hundreds of KV writes, the first mismatch events), which is section 8's burst.
 */
async function settled(nc: NatsConnection): Promise<void> {
  await sleep(10_000);
  let writes = -1;
  await waitUntil("the service's writes to end", async () => {
    const now = (await serviceStats(nc)).kv.writes as number;
    const still = now === writes;
    writes = now;
    return still ? true : undefined;
  }, 60_000, 1000);
}

/**
 * Samples per case in section 1: enough that p99 is not one answer. With 300, p99 was the 3rd
 * slowest, and two stalls of the shared machine in one case but not in its floor moved a ratio
 * from 1.0 to 4.9 between runs of the same build.
 */
const SAMPLES = { hit: 2_000, cold: 600, pace: 600 };
/** How often the cold case asks whether a change is served yet: the resolution of "showed it after". */
const SERVED_POLL_MS = 20;

async function benchReport(): Promise<void> {
  say("## 1. `versions.report` against the protocol's floor");
  say();
  say("What an operator's request costs, against what any reply of that size costs. The service runs as users run it");
  say("(`node dist/cli/main.js serve`, its own process); the floor is another process (`bench/floor-server.ts`) that");
  say("answers a pre-built buffer of the report's size on the same server, so both pay the same hop and payload copy.");
  say("The fleet: simulated servers, 10 % of them on another version, in clusters of 3 that list each other as routes (as a");
  say("real cluster's servers do: `bench/simulate-statsz.ts`), each advertising STATSZ every");
  say("10 s as real servers do (a separate simulator process), plus the real one. Requests and floor requests alternate.");
  say("Measured in the steady state: from one advertisement interval after the last server joined, once the service has");
  say("written nothing to KV for a second (joining is measured as a burst in section 8).");
  say();
  say(`- **cache hit**: ${SAMPLES.hit.toLocaleString("en")} requests back to back, nothing changing.`);
  say(`- **cold**: ${SAMPLES.cold} times, a server advertises a new version and the request follows at once; then it goes back, and the floor request follows at once (100 ms apart).`);
  say(`- **operator pace**: ${SAMPLES.pace} requests 50-150 ms apart at random (about two minutes), each floor request between two.`);
  say(`With ${SAMPLES.cold} and ${SAMPLES.pace} samples, p99 is the ${SAMPLES.cold / 100}th slowest: a few slow answers (a collection, the OS) do not`);
  say("make it; with 300 it was the 3rd slowest, and a ratio moved from 1.0 to 4.9 between runs of the same build.");
  say();
  const cluster = await startCluster([{ name: "bench", binaries: [newest.path] }]);
  const floor = await startFloor(cluster);
  const nc = await connectAs(cluster, users.admin);
  const quiet = await machineTail(nc, 160_000, 1000);
  say(`The machine's own tail when the run began, before the service and the simulator started: the floor alone, 1,000`);
  say(`requests of 160,000 bytes 20 ms apart, p50 ${ms(quantile(quiet, 0.5))} / p99 ${ms(quantile(quiet, 0.99))} / max ${ms(Math.max(...quiet))} ms. With nothing else to do, a request here`);
  say("had a p99 of 17 ms in one such run and 6 ms in the next, minutes apart, with nothing else running in this VM (in the");
  say("slow one, stalls of 12-17 ms every 0.3-0.5 s): p99s of a few ms move across a ratio of 1.2 with the machine.");
  say();
  say("| case | servers | report bytes | report p50 / p99 ms | floor p50 / p99 ms | p50 ratio | p99 ratio |");
  say("| --- | --- | --- | --- | --- | --- | --- |");
  const service = spawnService(cluster);
  const sims: { stop: () => Promise<void> }[] = [];
  const sys = await connectAs(cluster, users.sys);
  const notes: string[] = [];
  const missed: string[] = [];
  try {
    let total = 1;
    for (const [size, add] of [[1_000, 999], [10_000, 9_000]] as const) {
      const sim = simulator(cluster, add, 1, 0.1, `r${size}`, 10_000);
      sims.push(sim);
      await sim.published;
      total += add;
      await waitUntil(`${total} servers`, async () => ((await reportOf(nc))!.report.server_count >= total ? true : undefined), 60_000);
      await settled(nc);
      const stats0 = await serviceStats(nc);
      const cases: [string, Latencies][] = [];
      // The floor answers exactly as many bytes as the report has now (checked, not assumed).
      const sizeOf = async () => {
        const { bytes, report } = (await reportOf(nc))!;
        if (report.server_count < total) throw new Error(`a report of ${report.server_count} servers, not ${total}`);
        await nc.request("versions.bench.floor.size", String(bytes), { timeout: 2000 });
        const floorBytes = (await nc.request(FLOOR_SUBJECT, "", { timeout: 2000 })).data.length;
        if (floorBytes !== bytes) throw new Error(`the floor answers ${floorBytes} bytes, the report has ${bytes}`);
        return bytes;
      };
      const bytes = await sizeOf();
      cases.push(["cache hit", await cacheHit(nc, SAMPLES.hit)]);
      const c = await cold(nc, sys, SAMPLES.cold);
      cases.push(["cold", c]);
      await sizeOf();
      cases.push(["operator pace", await operatorPace(nc, SAMPLES.pace)]);
      for (const [name, l] of cases) {
        const p99Ratio = quantile(l.report, 0.99) / quantile(l.floor, 0.99);
        if (p99Ratio > 1.2) missed.push(`${name} at ${size.toLocaleString("en")} (${p99Ratio.toFixed(2)})`);
        say(
          `| ${name} | ${size.toLocaleString("en")} | ${bytes.toLocaleString("en")} | ${ms(quantile(l.report, 0.5))} / ${ms(quantile(l.report, 0.99))} | ` +
            `${ms(quantile(l.floor, 0.5))} / ${ms(quantile(l.floor, 0.99))} | ${(quantile(l.report, 0.5) / quantile(l.floor, 0.5)).toFixed(2)} | ${p99Ratio.toFixed(2)} |`,
        );
      }
      const stats = await serviceStats(nc);
      const reports = stats["reports"] as Record<string, number>;
      const reports0 = stats0["reports"] as Record<string, number>;
      notes.push(
        `- ${size.toLocaleString("en")} servers: ${c.fresh} of ${SAMPLES.cold} cold answers already showed the change; the rest showed it (asked every ${SERVED_POLL_MS} ms) after ` +
          (c.visibleAfter.length ? `p50 ${Math.round(quantile(c.visibleAfter, 0.5))} ms, max ${Math.round(Math.max(...c.visibleAfter))} ms` : "—") +
          `. Reports built while a request waited: ${reports["on_request_builds"]! - reports0["on_request_builds"]!}; rendered by the worker: ` +
          `${reports["background_builds"]! - reports0["background_builds"]!} (the last took ${reports["last_build_ms"]} ms).`,
      );
    }
  } finally {
    await nc.close();
    await sys.close();
    for (const sim of sims) await sim.stop();
    await service.stop();
    floor.stop();
    await stopCluster(cluster);
  }
  say();
  say(`Goal (issues: honest numbers, edge-fleet scale): every case's p99 within 1.2x of the floor's. In this run: ${missed.length === 0 ? "met in all six" : `missed in ${missed.join(", ")}`}.`);
  say();
  for (const n of notes) say(n);
  say();
  say("A request is answered with the last complete rendering of the report (the report worker renders every query");
  say("asked within the last minute on every change, at most every 50 ms, and every 5 s); only the first request");
  say("of a query never asked before is built while it waits. A cold answer that does not show the change yet is the");
  say("rendering from just before it.");
  say();
}

// ---------------------------------------------------------------------------------------------
// KV writes over several last-seen flush windows.

async function benchKvWrites(): Promise<void> {
  say("## 4. KV writes per advertisement");
  say();
  const flushMs = 2000;
  const everyMs = 1000;
  const n = 1_000;
  const seconds = 12;
  const cluster = await startCluster([{ name: "kv", binaries: [newest.path] }]);
  const monitor = await startMonitor(cluster, { "last-seen-flush": `${flushMs}ms` });
  let sim: { stop: () => Promise<void> } | undefined;
  try {
    const s = simulator(cluster, n, 1, 0.1, "kvsim", everyMs);
    sim = s;
    await s.published;
    await waitUntil(`${n} servers`, () => (monitor.fleet.size >= n + 1 ? true : undefined), 60_000);
    await monitor.store.flush();
    const writes0 = monitor.store.stats.writes;
    const received0 = monitor.collector.stats.received.stats;
    await sleep(seconds * 1000);
    await monitor.store.flush();
    const writes = monitor.store.stats.writes - writes0;
    const adverts = monitor.collector.stats.received.stats - received0;
    say(`${n.toLocaleString("en")} simulated servers, none changing, each advertising every ${everyMs / 1000} s for ${seconds} s (${(seconds * 1000) / flushMs} windows`);
    say(`of \`--last-seen-flush ${flushMs / 1000}s\`): ${adverts.toLocaleString("en")} advertisements, ${writes.toLocaleString("en")} KV writes = **${(writes / adverts).toFixed(3)} writes per advertisement**`);
    say(`(the design: one last-seen write per server per flush window, i.e. interval / flush = ${(everyMs / flushMs).toFixed(3)}).`);
    say(`At the defaults (STATSZ every 10 s since 2.10, \`--last-seen-flush 5m\`) that scales to ${(10 / 300).toFixed(3)} writes per advertisement,`);
    say(`${(n * (3600 / 300)).toLocaleString("en")} writes an hour per 1,000 servers. A version change or a restart is written at once, besides.`);
    say();
  } finally {
    await sim?.stop();
    await monitor.stop();
    await stopCluster(cluster);
  }
}

// ---------------------------------------------------------------------------------------------
// Growth: what the core costs at 1k / 10k / 100k servers (no I/O).

/**
 * A module as it ships (dist/, which `npm run bench` builds first), typed by its source: the
 * tsx-transpiled source this process runs otherwise was ~20 % slower at building a report
 * (interleaved runs of scratch/whole-prof), and users run the build.
 */
async function shipped<M>(path: string): Promise<M> {
  return (await import(new URL(`../dist/${path}`, import.meta.url).href)) as M;
}

async function benchGrowth(): Promise<void> {
  say("## 6. Growth: 1,000 / 10,000 / 100,000 servers");
  say();
  say("The pure core as it ships (dist/), in this process, no I/O: a fleet of simulated servers with 10 % of each cluster on another version, in 20 clusters");
  say("(1,000 clusters at 100,000), every server with one route; the last row is an edge fleet, 100,000 servers in clusters of 3");
  say("that list each other (the shape the service sections simulate). Build = the encoded `versions.report` reply as the report");
  say("worker renders it (visibility, advisories, the byte bound included); judge = every scope judged for the mismatch");
  say("tracker (what the worker does per evaluation). Visibility (who answers, who is expected, who is unreachable) covers the");
  say("whole fleet whatever the query, so the worker assesses it once per rendering pass; a one-cluster build is measured as");
  say("in a pass, with it shared. Probe check = which clusters have a silent server, run every 500 ms on the report worker: the mean");
  say("of 40 checks 500 ms apart while every server advertises every 10 s. A quiet cluster whose servers all list each other is read");
  say("again only once one of them could be due; in this fleet every server lists one route, so every check reads every cluster (the worst case).");
  say("Reports read per-cluster digests (`src/core/cluster-digest.ts`), made again only for a cluster whose servers changed");
  say("or passed the offline window: \"whole-system build\" is a report with no digest to remake but nothing else cached (the");
  say("steady state: advertisements that only repeat change no digest); \"every digest remade\" is the first report after");
  say("every cluster changed. The ping round the report states has every server answering (a set of 100,000 names at 100k).");
  say("Heap = after a full GC, heap plus typed arrays (the fleet's columns), fleet only (digests included, made by one report first). Medians of 15 after three warm-ups, each series after a full collection.");
  say();
  say("| servers | clusters | whole-system build ms | of which visibility ms | whole-system build, every digest remade ms | one-cluster build in a pass ms | judge all scopes ms | probe check, mean ms | heap per server | observe() of a repeat, per second |");
  say("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const { Fleet } = await shipped<typeof import("../src/core/fleet.js")>("core/fleet.js");
  const { ObservationKind } = await shipped<typeof import("../src/core/observation.js")>("core/observation.js");
  const { parseVersion } = await shipped<typeof import("../src/core/version.js")>("core/version.js");
  const { encodeReport, visibilityOf } = await shipped<typeof import("../src/nats/report-encoding.js")>("nats/report-encoding.js");
  const { judgeScopes } = await shipped<typeof import("../src/core/scope-verdict.js")>("core/scope-verdict.js");
  const { clustersToProbe } = await shipped<typeof import("../src/core/reachability.js")>("core/reachability.js");
  const { AdvisoryBook } = await shipped<typeof import("../src/core/advisory-book.js")>("core/advisory-book.js");
  const { bundledAdvisories, bundledReleases } = await shipped<typeof import("../src/data/bundled.js")>("data/bundled.js");
  const { defaultMismatchPolicy } = await shipped<typeof import("../src/core/mismatch-policy.js")>("core/mismatch-policy.js");
  // Each series starts after a full collection, and the first runs are not counted: right after a
  // fleet of 100,000 was built, the first three whole-system builds took 73, 43 and 40 ms while the
  // collector cleared what building it left, and every one after 27-31 ms. A median of 5 after one
  // warm-up landed on those first ones.
  const median = (f: () => unknown) => {
    gc();
    for (let i = 0; i < 3; i++) f();
    const xs: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      f();
      xs.push(performance.now() - t);
    }
    return quantile(xs, 0.5);
  };
  const rows: { whole: number; one: number; heap: number; mesh: boolean }[] = [];
  /** The other servers of i's cluster, as a full mesh lists them. */
  const meshRoutes = (i: number, n: number, clusters: number) => {
    const out: string[] = [];
    for (let j = i % clusters; j < n; j += clusters) if (j !== i) out.push(`g-${j}`);
    return out;
  };
  const shapes = [
    { n: 1_000, clusters: 20, mesh: false },
    { n: 10_000, clusters: 20, mesh: false },
    { n: 100_000, clusters: 1_000, mesh: false },
    { n: 100_000, clusters: 33_334, mesh: true },
  ];
  for (const { n, clusters, mesh } of shapes) {
    // The fleet's columns are typed arrays, outside the heap: counted with it. Buffers the earlier
    // sections dropped are freed a moment after the collection that found them (a 1,000-server
    // fleet once measured -10 KB per server): collected, given that moment, and collected again.
    const held = async () => {
      gc();
      await sleep(200);
      gc();
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    const heap0 = await held();
    const fleet = new Fleet({ offlineAfterMs: 10 * 3_600_000 });
    const now = Date.now();
    const main = parseVersion("2.10.27")!;
    const other = parseVersion("2.11.1")!;
    const obs = (i: number) => ({
      kind: ObservationKind.Stats, name: `g-${i}`, id: `NG${i}`, cluster: `c${i % clusters}`, domain: "", host: "10.0.0.1",
      // Every tenth server of each cluster on another version: every cluster has a mismatch to judge.
      version: Math.floor(i / clusters) % 10 === 0 ? other : main, startedAt: now - 30 * 3_600_000,
      statsz: { routes: mesh ? meshRoutes(i, n, clusters) : [`g-${i % clusters === 0 ? i + clusters : i - clusters}`], gateways: [], connections: 40, jetstream: true },
    });
    for (let i = 0; i < n; i++) fleet.observe(obs(i), now - 1000);
    for (const name of fleet.clusterNames()) fleet.digest(name, now);
    const heap = ((await held()) - heap0) / n;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fleet.observe(obs(i), now);
    const observeRate = n / ((performance.now() - t0) / 1000);
    const sources = { fleet, book: new AdvisoryBook(bundledAdvisories, bundledReleases), inventory: undefined };
    const lastPing = { id: "1", at: now - 5_000, answered: new Set([...fleet.records()].map((r) => r.name)) };
    const ctx = { now, policy: defaultMismatchPolicy, since: new Map<string, number>(), lastPing, pingsRefused: false, warnings: [], maxPayload: 8 * 1024 * 1024 };
    const whole = median(() => encodeReport(sources, ctx, {}));
    // A version change in every cluster (the same version again, so that the fleet stays the same), then a report.
    const remade = median(() => {
      for (let c = 0; c < clusters; c++) fleet.set({ ...fleet.get(`g-${c}`)! });
      encodeReport(sources, ctx, {});
    });
    const seen = median(() => visibilityOf(fleet, ctx));
    const visibility = visibilityOf(fleet, ctx);
    const one = median(() => encodeReport(sources, ctx, { cluster: "c7" }, visibility));
    const judge = median(() => judgeScopes(fleet, now, defaultMismatchPolicy, () => undefined, (m) => sources.book.affectedVersions(m)));
    // The probe check as it runs: every 500 ms through two advertisement intervals of 10 s, in which
    // every server advertises once per interval (a twentieth of them between two checks).
    const probeTimes: number[] = [];
    let at = now;
    for (let k = 0; k < 40; k++) {
      at += 500;
      for (let i = k % 20; i < n; i += 20) fleet.observe(obs(i), at);
      const t0 = performance.now();
      clustersToProbe(fleet, at);
      probeTimes.push(performance.now() - t0);
    }
    const probe = probeTimes.reduce((a, b) => a + b, 0) / probeTimes.length;
    rows.push({ whole, one, heap, mesh });
    say(`| ${n.toLocaleString("en")} | ${clusters.toLocaleString("en")}${mesh ? " of 3, a full mesh" : ""} | ${whole.toFixed(1)} | ${seen.toFixed(1)} | ${remade.toFixed(1)} | ${one.toFixed(1)} | ${judge.toFixed(1)} | ${probe.toFixed(1)} | ${Math.round(heap).toLocaleString("en")} B | ${Math.round(observeRate).toLocaleString("en")} |`);
  }
  say();
  say("Goals (issue: edge-fleet scale): at 100,000 servers a whole-system build within 50 ms and a one-cluster build within");
  say("5 ms, at most 1 KiB of heap per server. Requests never wait for these builds (section 1), but their cost bounds how");
  say("fresh the served report can be and how much of a core rendering takes. Heap here is one thread's fleet; the report");
  say("worker holds a second copy of it (section 8 measures both in the running service). Judging every scope still reads every");
  say("server, on the report worker. \"Every digest remade\" is what a change in every cluster at once costs the worker, once.");
  const at100k = rows.filter((r) => !r.mesh).at(-1)!;
  const edge = rows.at(-1)!;
  say(`At 100,000 in 1,000 clusters (the issue's shape): whole-system build ${at100k.whole.toFixed(1)} ms (goal 50: ${at100k.whole <= 50 ? "met" : "missed"}), one-cluster build ${at100k.one.toFixed(1)} ms (goal 5: ${at100k.one <= 5 ? "met" : "missed"}), ${Math.round(at100k.heap)} B per server (goal 1,024: ${at100k.heap <= 1024 ? "met" : "missed"}).`);
  say(`At 100,000 in clusters of 3 (an edge fleet): whole-system build ${edge.whole.toFixed(1)} ms, one-cluster build ${edge.one.toFixed(1)} ms, ${Math.round(edge.heap)} B per server:`);
  say("the cost of a report grows with the number of clusters, and a fleet of small clusters has many.");
  say();
}

async function benchDetection(): Promise<void> {
  say("## 5. Detection latency: three instances, an R3 bucket");
  say();
  say(`A three-server cluster on ${middle.version} with the bucket and the event stream at three replicas, and three`);
  say("instances of the service, each `node dist/cli/main.js serve` in its own process, all racing for every transition.");
  say(`One server is stopped and started on ${newest.version}, then back, five times; measured until the \`detected\``);
  say("event reaches a subscriber, and every transition's events counted (the promise is exactly one).");
  say();
  const cluster = await startCluster([{ name: "detect", binaries: [middle.path, middle.path, middle.path] }]);
  const flags = ["--replicas", "3", "--offline-after", "3s", "--evaluate-interval", "200ms"];
  const services = [spawnService(cluster, flags), spawnService(cluster, flags), spawnService(cluster, flags)];
  const nc = await connectAs(cluster, users.admin);
  const sys = await connectAs(cluster, users.sys);
  const fromSpawn: number[] = [];
  const fromAdvert: number[] = [];
  const counts: number[] = [];
  try {
    let firstAdvert = 0;
    let wanted = "";
    sys.subscribe("$SYS.SERVER.*.STATSZ", {
      callback: (_e, m) => {
        if (!firstAdvert && m.json<{ server: { name: string; ver: string } }>().server.ver === wanted) firstAdvert = performance.now();
      },
    });
    let detected: number[] = [];
    let resolved = 0;
    nc.subscribe("versions.mismatch.detect", {
      callback: (_e, m) => {
        const type = m.json<{ type: string }>().type;
        if (type === "detected") detected.push(performance.now());
        if (type === "resolved") resolved++;
      },
    });
    await nc.flush();
    await sys.flush();
    await waitUntil("three instances answering", async () => {
      const seen = new Set<string>();
      for await (const r of await nc.requestMany("$SRV.PING.version-monitor", "", { maxWait: 500 })) seen.add(r.json<{ id: string }>().id);
      return seen.size === 3 ? true : undefined;
    }, 60_000, 500);
    await sleep(3000); // past every instance's warm-up
    const server = cluster.server("detect-3");
    for (let i = 0; i < 5; i++) {
      await server.stop();
      detected = [];
      firstAdvert = 0;
      wanted = newest.version;
      const spawned = performance.now();
      await server.start(newest.path);
      await waitUntil("detected", () => (detected.length > 0 ? true : undefined), 20_000, 5);
      fromSpawn.push(detected[0]! - spawned);
      fromAdvert.push(detected[0]! - firstAdvert);
      const r0 = resolved;
      await sleep(2000); // any duplicate would arrive by now
      counts.push(detected.length);
      await server.stop();
      await server.start(middle.path);
      await waitUntil("resolved", () => (resolved > r0 ? true : undefined), 20_000);
    }
  } finally {
    await nc.close();
    await sys.close();
    for (const s of services) await s.stop();
    await stopCluster(cluster);
  }
  say("| from | p50 ms | max ms |");
  say("| --- | --- | --- |");
  say(`| the new server's process spawned | ${Math.round(quantile(fromSpawn, 0.5))} | ${Math.round(Math.max(...fromSpawn))} |`);
  say(`| its first STATSZ advertisement | ${Math.round(quantile(fromAdvert, 0.5))} | ${Math.round(Math.max(...fromAdvert))} |`);
  say();
  say(`\`detected\` events per transition: ${counts.join(", ")} (three instances, one event each time is the promise).`);
  say("Anchors: `nats server list` polled by hand (minutes), a 30 s poll (15 s on average), a collection epoch of minutes.");
  say();
}


/** The service's resident memory at its peak, from /proc (Linux). */
function peakRss(pid: number | undefined): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 a second).
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The CPU seconds a process uses from now on, read when asked (NaN once it cannot be read). */
function cpuFromNow(pid: number | undefined): () => number {
  const at = cpuSeconds(pid) ?? Number.NaN;
  return () => (cpuSeconds(pid) ?? Number.NaN) - at;
}

/**
 * Requests the subjects back to back every `gapMs` until stopped, timing each. The floor (when it
 * is one of them) is kept answering as many bytes as the report's last answer had.
 */
function keepAsking(nc: NatsConnection, subjects: readonly string[], gapMs: number) {
  const times = new Map(subjects.map((s) => [s, [] as number[]]));
  let failed = 0;
  let asking = true;
  let floorBytes = -1;
  const done = (async () => {
    while (asking) {
      for (const s of subjects) {
        const t = performance.now();
        const m = await nc.request(s, "", { timeout: 5000 }).catch(() => undefined);
        if (!m || m.headers?.get("Nats-Service-Error")) failed++;
        else times.get(s)!.push(performance.now() - t);
        if (m && s === "versions.report" && subjects.includes(FLOOR_SUBJECT) && m.data.length !== floorBytes) {
          floorBytes = m.data.length;
          await nc.request("versions.bench.floor.size", String(floorBytes), { timeout: 5000 }).catch(() => undefined);
        }
      }
      await sleep(gapMs);
    }
  })();
  return { times, failed: () => failed, stop: async () => ((asking = false), await done) };
}

async function benchBurst(n: number): Promise<void> {
  const clusters = Math.ceil(n / 3);
  say(`## 8. A burst of ${n.toLocaleString("en")} new servers, then cold start and ingest at that size`);
  say();
  say(`The service as users run it (\`node dist/cli/main.js serve\`, its own process) on a real ${newest.version} server; a simulator`);
  say(`process announces ${n.toLocaleString("en")} new servers in ${clusters.toLocaleString("en")} clusters of 3 that list each other as routes (10 % on another version) as fast as it can publish,`);
  say("then every one of them advertises again every 10 s, as real servers do. Throughout, the bench asks `versions.report` and");
  say("`$SRV.STATS.version-monitor` and the floor (section 1) back to back every 20 ms and times every answer: what the floor");
  say("takes is what the machine, busy with the burst, costs any reply of that size. Default run: 10,000; `npm run bench -- burst");
  say("--scale 100000` for the issue's size.");
  say();
  const cluster = await startCluster([{ name: "burst", binaries: [newest.path] }]);
  const nc = await connectAs(cluster, users.admin);
  const floor = await startFloor(cluster);
  let service = spawnService(cluster, [], heapProbeFlags);
  let sim: ReturnType<typeof simulator> | undefined;
  try {
    await waitUntil("the service", async () => ((await reportOf(nc))?.report.server_count ?? 0) >= 1 ? true : undefined, 30_000, 50);
    // What the service holds with only the real server: its code and connections, not the fleet.
    const empty = await liveHeap(service.child);
    const asking = keepAsking(nc, ["versions.report", "$SRV.STATS.version-monitor", FLOOR_SUBJECT], 20);
    const t0 = performance.now();
    sim = simulator(cluster, n, 1, 0.1, "b", 10_000, clusters);
    const published = await sim.published;
    const burstEnd = performance.now();
    await waitUntil(`${n} servers in the report`, async () => ((await reportOf(nc))?.report.server_count ?? 0) >= n + 1 ? true : undefined, 300_000, 100);
    const complete = performance.now();
    // Ten more seconds of the steady state: every server advertising again once.
    await sleep(10_000);
    await asking.stop();
    const stats = await serviceStats(nc);
    const live = await liveHeap(service.child);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const heap = { main: live.main, worker: sum(live.workers) };
    const base = { main: empty.main, worker: sum(empty.workers) };
    const perServer = (bytes: number) => `${Math.round(bytes / n).toLocaleString("en")} B`;
    const grown = { main: heap.main - base.main, worker: heap.worker - base.worker };
    const rss = peakRss(service.child.pid);
    const row = (name: string, xs: number[]) =>
      `| ${name} | ${xs.length} | ${ms(quantile(xs, 0.5))} | ${ms(quantile(xs, 0.99))} | ${ms(Math.max(...xs))} |`;
    say(`The simulator published ${published.published.toLocaleString("en")} advertisements in ${Math.round(published.ms)} ms. Every server was in the report`);
    say(`${Math.round(complete - burstEnd)} ms after the last one was published (${Math.round(complete - t0)} ms after the burst began; one advertisement interval is 10 s).`);
    say(`Advertisements received: ${stats.ingest.received.stats.toLocaleString("en")}; rejected: ${Object.values(stats.ingest.rejected as Record<string, number>).reduce((a, b) => a + b, 0)};`);
    say(`system connection lost (slow consumer): ${stats.ingest.disconnects}; KV writes: ${stats.kv.writes.toLocaleString("en")} (conflicts ${stats.kv.conflicts}, errors ${stats.kv.errors}).`);
    say(`Peak resident memory of the service: ${rss ? `${Math.round(rss / 2 ** 20)} MiB` : "unknown"}; requests that failed or timed out (5 s): ${asking.failed()}.`);
    const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
    say(`Live heap (with the typed arrays outside it) in the steady state after the burst (each thread collects its garbage first: \`bench/heap-probe.mjs\`, preloaded for the bench):`);
    say(`main thread ${mib(heap.main)}, report worker ${mib(heap.worker)}; before the burst ${mib(base.main)} and ${mib(base.worker)}. What the servers added, per server:`);
    say(`${perServer(grown.main)} on the main thread + ${perServer(grown.worker)} in the report worker = **${perServer(grown.main + grown.worker)}**.`);
    say();
    say("| request during the burst and after | answers | p50 ms | p99 ms | max ms |");
    say("| --- | --- | --- | --- | --- |");
    say(row("`versions.report`", asking.times.get("versions.report")!));
    say(row("`$SRV.STATS.version-monitor`", asking.times.get("$SRV.STATS.version-monitor")!));
    say(row("the floor (a reply of the report's size from another process)", asking.times.get(FLOOR_SUBJECT)!));
    say();

    // Cold start: the servers stop advertising; a new service process reads them all from the bucket.
    await sim.stop();
    sim = undefined;
    await service.stop();
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s0 = performance.now();
      service = spawnService(cluster);
      await waitUntil(`a report of ${n + 1} servers`, async () => ((await reportOf(nc))?.report.server_count ?? 0) >= n + 1 ? true : undefined, 120_000, 10);
      starts.push(performance.now() - s0);
      if (i < 2) await service.stop();
    }
    say(`Cold start with ${n.toLocaleString("en")} servers in the bucket, from \`serve\` spawned to the first correct report (${(n + 1).toLocaleString("en")} servers):`);
    say(`${starts.map((t) => `${Math.round(t)} ms`).join(", ")} (median ${Math.round(quantile(starts, 0.5))} ms).`);
    say();

    // Ingest in the steady state, not in the tail of the start (the tracker's first evaluation of
    // 33,334 scopes, the check of every stored record's event against the stream): from when the
    // service has used less than a tenth of a core for two seconds in a row (at most a minute).
    const settleStart = performance.now();
    let quiet = 0;
    while (quiet < 2 && performance.now() - settleStart < 60_000) {
      const used = cpuFromNow(service.child.pid);
      await sleep(1000);
      quiet = used() < 0.1 ? quiet + 1 : 0;
    }
    const settledAfter = performance.now() - settleStart;
    // Ingest: the same servers advertising again, unchanged (the same 10 % on the other version:
    // with none there, the first round changed 10,000 versions, each a KV write and an event), as
    // fast as the simulator publishes.
    const atStart = await serviceStats(nc);
    const before = atStart.ingest.received.stats as number;
    const rounds = 3;
    const used = { service: cpuFromNow(service.child.pid), server: cpuFromNow(cluster.servers[0]!.pid) };
    const again = simulator(cluster, n, rounds, { everyRound: 0.1 }, "b", 0, clusters);
    await waitUntil("the first repeat", async () => ((await serviceStats(nc)).ingest.received.stats > before ? true : undefined), 60_000, 5);
    const i0 = performance.now();
    // Until every repeat is processed, or the count has stood still for 5 s after the simulator
    // finished (advertisements lost on the way never come: the shortfall is reported, not waited for).
    let simDone = false;
    void again.published.then(() => (simDone = true));
    let processed = 0;
    let movedAt = performance.now();
    await waitUntil("every repeat processed, or the count standing still", async () => {
      const got = (await serviceStats(nc)).ingest.received.stats - before;
      if (got > processed) [processed, movedAt] = [got, performance.now()];
      return processed >= n * rounds || (simDone && performance.now() - movedAt > 5000) ? true : undefined;
    }, 300_000, 20);
    const rate = processed / ((movedAt - i0) / 1000);
    const pub = await again.published;
    const cpu = { service: used.service(), server: used.server(), simulator: again.cpu() };
    await again.stop();
    const after = await serviceStats(nc);
    say(`Ingest of repeated advertisements at ${n.toLocaleString("en")} servers, from ${Math.round(settledAfter / 1000)} s after the last start (when the service had been nearly idle for 2 s): ${Math.round(rate).toLocaleString("en")} per second processed`);
    say(`(${processed.toLocaleString("en")} advertisements received, the real server's own included, for ${(n * rounds).toLocaleString("en")} published; the simulator published ${Math.round(pub.published / (pub.ms / 1000)).toLocaleString("en")} per second;` +
      ` system connection lost (slow consumer) ${after.ingest.disconnects - atStart.ingest.disconnects} times, dropped from a full backlog ${after.ingest.dropped - atStart.ingest.dropped}).`);
    // What the nats-server spends on an advertisement nobody subscribed to: it reads every STATSZ itself.
    await service.stop();
    const usedAlone = cpuFromNow(cluster.servers[0]!.pid);
    const alone = simulator(cluster, n, 1, { everyRound: 0.1 }, "b", 0, clusters);
    await alone.published;
    await alone.stop();
    const serverAlone = usedAlone();
    const µs = (seconds: number, count = processed) => `${Math.round((seconds * 1e6) / count)} µs`;
    say(`CPU per advertisement in this phase (from /proc): the service ${µs(cpu.service)} (both threads), the nats-server ${µs(cpu.server)}, the simulator ${µs(cpu.simulator)};`);
    say(`${Math.round(cpu.service + cpu.server + cpu.simulator)} CPU seconds in ${Math.round((movedAt - i0) / 1000)} s, on two cores. The service's own cost is ${Math.round(processed / cpu.service).toLocaleString("en")} advertisements per CPU second.`);
    say(`With the service stopped (nobody subscribed), the nats-server still spent ${µs(serverAlone, n)} on each of ${n.toLocaleString("en")} more: it reads every STATSZ itself`);
    say("(it keeps track of the servers of its system). Simulated through one server on this machine, the fleet's advertisements cost the");
    say("nats-server and the simulator about as much CPU as the service, and the three share two cores.");
    say();
    say("Goals (issue: edge-fleet scale): every server in the fleet within one advertisement interval after the burst, no");
    say("advertisement silently dropped, `versions.report` and `$SRV.STATS` within 100 ms p99 throughout; cold start with");
    say("100,000 servers in the bucket under 3 s; ingest of repeats at least 20,000 per second at 100,000 servers; steady state at most 1 KiB of heap per server.");
    const verdict = (ok: boolean) => (ok ? "met" : "missed");
    const p99 = Math.max(quantile(asking.times.get("versions.report")!, 0.99), quantile(asking.times.get("$SRV.STATS.version-monitor")!, 0.99));
    say(
      `In this run: every server in the report within 10 s ${verdict(complete - burstEnd <= 10_000)}; advertisements lost to a slow consumer or dropped from a full backlog ` +
        `${stats.ingest.disconnects} and ${stats.ingest.dropped}, both counted and followed by a ping of every server; p99 ${verdict(p99 <= 100)} (${p99.toFixed(1)} ms, the slower of the two); cold start ` +
        `${verdict(quantile(starts, 0.5) < 3000)}; ingest ${verdict(rate >= 20_000)}; heap of both threads at most 1 KiB per server ${verdict((grown.main + grown.worker) / n <= 1024)}. The service shares two cores with the nats-server, the simulator and`,
    );
    say("this bench, which all work hardest during the burst: figures near a goal move across it from run to run.");
    say();
  } finally {
    floor.stop();
    await sim?.stop();
    await service.stop();
    await nc.close();
    await stopCluster(cluster);
  }
}

const started = new Date();
say("# Benchmarks");
say();
say(`Command: \`npm run bench\` (${started.toISOString().slice(0, 10)}). Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, nats-server ${newest.version} (detection: ${middle.version} → ${newest.version}).`);
say("All servers are real nats-server processes on 127.0.0.1; simulated servers are STATSZ messages published through the system account.");
say("The machine is shared and noisy: compare ratios, and rerun before drawing conclusions from absolute figures.");
say("Each section says what its figures include and what they leave out.");
say();
const args = process.argv.slice(2);
const scaleAt = args.indexOf("--scale");
const scale = scaleAt >= 0 ? Number(args[scaleAt + 1]) : 10_000;
if (!Number.isInteger(scale) || scale < 100) throw new Error(`--scale takes a number of servers (at least 100), not ${args[scaleAt + 1]}`);
const only = scaleAt >= 0 ? args.filter((_, i) => i !== scaleAt && i !== scaleAt + 1) : args;
const wanted = (name: string) => only.length === 0 || only.includes(name);
if (wanted("report")) await benchReport();
if (wanted("ingest") || wanted("cold-start")) {
  const ingestCluster = await benchIngest();
  try {
    if (wanted("cold-start")) await benchColdStart(ingestCluster);
  } finally {
    await stopCluster(ingestCluster);
  }
}
if (wanted("kv")) await benchKvWrites();
if (wanted("detection")) await benchDetection();
if (wanted("growth")) await benchGrowth();
if (wanted("cli")) await benchCliStartup(say);
if (wanted("burst")) await benchBurst(scale);
if (only.length === 0) {
  writeFileSync(new URL("../BENCHMARKS.md", import.meta.url), out.join("\n") + "\n");
  process.stderr.write("wrote BENCHMARKS.md\n");
}
