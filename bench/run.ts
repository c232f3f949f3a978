// npm run bench: every benchmark against real nats-server processes on this machine; writes BENCHMARKS.md.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/nats-core";
import { LocalCluster } from "../src/local-cluster/local-cluster.js";
import { installedServerBinaries } from "../src/local-cluster/server-binaries.js";
import { VersionMonitor } from "../src/monitor.js";
import { FLOOR_SUBJECT } from "../src/nats/report-service.js";
import { connectAs, captureLogger, monitorConfig, startCluster, stopCluster, users, waitUntil } from "../test/helpers/cluster.js";

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

function simulate(cluster: LocalCluster, count: number, rounds: number, change: number, prefix: string): Promise<{ published: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/simulate-statsz.ts", cluster.urls[0]!, users.sys.user, users.sys.pass, String(count), String(rounds), String(change), prefix], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let text = "";
    child.stdout.on("data", (d) => (text += String(d)));
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`simulator exited ${code}`))));
  });
}

async function startMonitor(cluster: LocalCluster, floor?: () => Uint8Array, flags: Record<string, string> = {}): Promise<VersionMonitor> {
  return VersionMonitor.start({
    config: monitorConfig(cluster, { "offline-after": "10h", ...flags }),
    log: captureLogger("warn").log,
    ...(floor ? { floor } : {}),
  });
}

async function timed(nc: NatsConnection, subject: string): Promise<number> {
  const t = performance.now();
  await nc.request(subject, "", { timeout: 5000 });
  return performance.now() - t;
}

async function throughput(nc: NatsConnection, subject: string, seconds: number, inFlight: number): Promise<number> {
  let done = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        await nc.request(subject, "", { timeout: 5000 });
        done++;
      }
    }),
  );
  return done / seconds;
}

async function benchReport(): Promise<void> {
  say("## 1. `versions.report` against the protocol's floor");
  say();
  say("Same service, same client connection: `versions.report` and an endpoint that replies a pre-built buffer of the");
  say("same size as the report (`versions.bench.floor`). 2,000 sequential requests each, interleaved; throughput with 16");
  say("requests in flight for 3 s each. Servers are simulated STATSZ advertisements (20 clusters), plus the real one.");
  say();
  say("| servers | report bytes | report p50 / p99 ms | floor p50 / p99 ms | p50 ratio | p99 ratio | report req/s | floor req/s | throughput ratio |");
  say("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const cluster = await startCluster([{ name: "bench", binaries: [newest.path] }]);
  let floor = new Uint8Array(0);
  const monitor = await startMonitor(cluster, () => floor);
  // Plain users may not reach the floor endpoint (and the monitor's own user calls nothing).
  const nc = await connectAs(cluster, users.admin);
  try {
    let total = 0;
    for (const [size, add] of [[10, 10], [1_000, 990], [10_000, 9_000]] as const) {
      await simulate(cluster, add, 1, 0, `r${size}`);
      total += add;
      await waitUntil(`${total} servers`, () => (monitor.fleet.size >= total + 1 ? true : undefined), 60_000);
      const report = monitor.encodedReport({});
      floor = new Uint8Array(report.length).fill(0x20);
      const r: number[] = [];
      const f: number[] = [];
      for (let i = 0; i < 100; i++) await timed(nc, "versions.report"), await timed(nc, FLOOR_SUBJECT);
      for (let i = 0; i < 2_000; i++) {
        r.push(await timed(nc, "versions.report"));
        f.push(await timed(nc, FLOOR_SUBJECT));
      }
      const rt = await throughput(nc, "versions.report", 3, 16);
      const ft = await throughput(nc, FLOOR_SUBJECT, 3, 16);
      say(
        `| ${size.toLocaleString("en")} | ${report.length.toLocaleString("en")} | ${ms(quantile(r, 0.5))} / ${ms(quantile(r, 0.99))} | ${ms(quantile(f, 0.5))} / ${ms(quantile(f, 0.99))} | ` +
          `${(quantile(r, 0.5) / quantile(f, 0.5)).toFixed(2)} | ${(quantile(r, 0.99) / quantile(f, 0.99)).toFixed(2)} | ${rt.toFixed(0)} | ${ft.toFixed(0)} | ${(rt / ft).toFixed(2)} |`,
      );
    }
    // Without the cache: the cost of building a report of 10,000 servers from memory.
    const builds: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      monitor.report({});
      builds.push(performance.now() - t);
    }
    say();
    say(`Building (not serving) a 10,000-server report from memory, uncached: p50 ${ms(quantile(builds, 0.5))} ms. Served reports come`);
    say("from a cache keyed by the fleet's and the mismatch records' revisions and the current second.");
    say();
  } finally {
    await nc.close();
    await monitor.stop();
    await stopCluster(cluster);
  }
}

async function benchIngest(): Promise<LocalCluster> {
  say("## 2. Ingest of STATSZ advertisements");
  say();
  say("A separate simulator process publishes STATSZ-shaped advertisements (~900 bytes) through the system account:");
  say("one round to introduce the servers, then five rounds in which the last moves 10 % of them to a new version.");
  say("Rate = advertisements processed by the service / time from the first one received to the last one processed.");
  say();
  say("| servers | advertisements | processed per second | simulator published per second | heap per tracked server | KV writes | KV writes per 1,000 unchanged advertisements |");
  say("| --- | --- | --- | --- | --- | --- | --- |");
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
      const unchanged = processed - changed;
      say(
        `| ${n.toLocaleString("en")} | ${processed.toLocaleString("en")} | ${Math.round(processed / (elapsed / 1000)).toLocaleString("en")} | ` +
          `${Math.round(simResult.published / (simResult.ms / 1000)).toLocaleString("en")} | ${Math.round(perServer).toLocaleString("en")} B | ` +
          `${writes} (${changed} servers changed version) | ${(((writes - changed) / unchanged) * 1000).toFixed(2)} |`,
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
  say("## 4. Cold start with 10,000 servers in the bucket");
  say();
  const nc = await connectAs(cluster, users.app);
  const times: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const child = spawn(process.execPath, ["dist/cli/main.js", "serve", "--offline-after", "10h", "--log-level", "warn"], {
        cwd: root,
        stdio: "ignore",
        env: {
          ...process.env,
          NATS_URL: cluster.urls.join(","),
          NATS_USER: users.monitor.user,
          NATS_PASSWORD: users.monitor.pass,
          NATS_SYS_USER: users.monitorSys.user,
          NATS_SYS_PASSWORD: users.monitorSys.pass,
        },
      });
      await waitUntil("a report of 10,001 servers", async () => {
        const m = await nc.request("versions.report", "", { timeout: 500 }).catch(() => undefined);
        return m && !m.headers?.get("Nats-Service-Error") && m.json<{ server_count: number }>().server_count >= 10_001 ? true : undefined;
      }, 30_000, 10);
      times.push(performance.now() - t0);
      child.kill("SIGTERM");
      await new Promise((r) => child.on("close", r));
    }
  } finally {
    await nc.close();
  }
  say(`From \`node dist/cli/main.js serve\` being spawned to the first correct report (10,001 servers): ${times.map((t) => `${Math.round(t)} ms`).join(", ")} (median ${Math.round(quantile(times, 0.5))} ms).`);
  say();
}

async function benchDetection(): Promise<void> {
  say("## 3. Detection latency");
  say();
  say(`A two-server cluster on ${middle.version}; one server is stopped and started on ${newest.version}, then back, five times.`);
  say("Measured until the `detected` event reaches a subscriber.");
  say();
  const cluster = await startCluster([{ name: "detect", binaries: [middle.path, middle.path] }]);
  const monitor = await startMonitor(cluster, undefined, { "offline-after": "3s", "evaluate-interval": "200ms" });
  const nc = await connectAs(cluster, users.app);
  const sys = await connectAs(cluster, users.sys);
  const fromSpawn: number[] = [];
  const fromAdvert: number[] = [];
  try {
    let firstAdvert = 0;
    let wanted = "";
    sys.subscribe("$SYS.SERVER.*.STATSZ", {
      callback: (_e, m) => {
        if (!firstAdvert && m.json<{ server: { name: string; ver: string } }>().server.ver === wanted) firstAdvert = performance.now();
      },
    });
    let detectedAt = 0;
    let resolved = 0;
    nc.subscribe("versions.mismatch.detect", {
      callback: (_e, m) => {
        const type = m.json<{ type: string }>().type;
        if (type === "detected") detectedAt = performance.now();
        if (type === "resolved") resolved++;
      },
    });
    await nc.flush();
    await sys.flush();
    await waitUntil("past warm-up", () => (monitor.tracker.stats.evaluations > 1 ? true : undefined));
    const server = cluster.server("detect-2");
    for (let i = 0; i < 5; i++) {
      await server.stop();
      detectedAt = 0;
      firstAdvert = 0;
      wanted = newest.version;
      const spawned = performance.now();
      await server.start(newest.path);
      await waitUntil("detected", () => (detectedAt ? true : undefined), 10_000, 5);
      fromSpawn.push(detectedAt - spawned);
      fromAdvert.push(detectedAt - firstAdvert);
      const r0 = resolved;
      await server.stop();
      await server.start(middle.path);
      await waitUntil("resolved", () => (resolved > r0 ? true : undefined), 10_000);
    }
  } finally {
    await nc.close();
    await sys.close();
    await monitor.stop();
    await stopCluster(cluster);
  }
  say("| from | p50 ms | max ms |");
  say("| --- | --- | --- |");
  say(`| the new server's process spawned | ${Math.round(quantile(fromSpawn, 0.5))} | ${Math.round(Math.max(...fromSpawn))} |`);
  say(`| its first STATSZ advertisement | ${Math.round(quantile(fromAdvert, 0.5))} | ${Math.round(Math.max(...fromAdvert))} |`);
  say();
  say("Anchors: `nats server list` polled by hand (minutes), a 30 s poll (15 s on average), a collection epoch of minutes.");
  say();
}

const started = new Date();
say("# Benchmarks");
say();
say(`Command: \`npm run bench\` (${started.toISOString().slice(0, 10)}). Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, nats-server ${newest.version} (detection: ${middle.version} → ${newest.version}).`);
say("All servers are real nats-server processes on 127.0.0.1; simulated servers are STATSZ messages published through the system account.");
say("The machine is shared and noisy: compare ratios, and rerun before drawing conclusions from absolute figures.");
say();
await benchReport();
const ingestCluster = await benchIngest();
try {
  await benchColdStart(ingestCluster);
} finally {
  await stopCluster(ingestCluster);
}
await benchDetection();
writeFileSync(new URL("../BENCHMARKS.md", import.meta.url), out.join("\n") + "\n");
process.stderr.write("wrote BENCHMARKS.md\n");
