import { createServer } from "node:net";
import test from "ava";
import { Writable } from "node:stream";
import { ConfigError } from "../../src/config/config-error.js";
import { parseListenAddress } from "../../src/config/listen-address.js";
import type { MetricsConfig } from "../../src/config/monitor-config.js";
import { AdvisoryBook } from "../../src/core/advisory-book.js";
import { Fleet } from "../../src/core/fleet.js";
import type { MismatchRecord } from "../../src/core/mismatch-record.js";
import { bundledAdvisories, bundledReleases } from "../../src/data/bundled.js";
import { freePort } from "../../src/local-cluster/free-port.js";
import { createLogger } from "../../src/logger.js";
import { MetricsEndpoint, type MetricsSources } from "../../src/metrics/metrics-endpoint.js";
import type { ServiceCounters } from "../../src/metrics/metric-samples.js";
import { observation } from "../helpers/observations.js";

const NOW = 50_000_000;
const log = createLogger("silent", new Writable({ write: (_c, _e, done) => done() }));

const counters = (): ServiceCounters => ({
  ingest: { received: { stats: 1, varz: 0, "lame-duck": 0, shutdown: 0 }, rejected: { "not-json": 0 }, pings: 1, probes: 0, leafz: 0, disconnects: 0, queued: 0, dropped: 0 },
  kv: { writes: 1, conflicts: 0, errors: 0, skippedEntries: 0 },
  mismatch: { evaluations: 1, published: {}, duplicates: 0, handovers: 0, conflicts: 0, lateWrites: 0 },
  republish: { fallbacks: 0 },
  bucketRecreations: 0,
  reports: { served: 0, background_builds: 0, on_request_builds: 0, last_build_ms: 0, worker_heap_bytes: 0 },
});

/**
 * The monitor's state at the benchmark's scale: `servers` servers in 20 clusters, 10 % of them on
 * an older version, each with its Go; one mismatch record per scope, as the tracker holds them.
 */
function sources(servers: number): MetricsSources {
  const fleet = new Fleet({ offlineAfterMs: 120_000 });
  const records = new Map<string, MismatchRecord>();
  const clusters = 20;
  for (let i = 0; i < servers; i++) {
    const old = i % 10 === 0;
    fleet.observe(observation(`server-${String(i).padStart(5, "0")}`, old ? "2.10.27" : "2.15.1", { cluster: `cluster-${i % clusters}`, kind: "varz", go: old ? "go1.22.12" : "go1.25.9" }), NOW - 1000);
  }
  for (const scope of ["system", ...Array.from({ length: clusters }, (_, c) => `cluster:cluster-${c}`)]) {
    records.set(scope, { scope, state: "stale", target: "2.15.1", versions: ["2.15.1", "2.10.27"], outliers: [], since: NOW - 90_000_000, seq: 3, epoch: 1, updatedAt: NOW });
  }
  return {
    now: () => NOW,
    fleet,
    mismatch: {
      record: (scope) => records.get(scope),
      sinceByScope: () => new Map([...records].map(([scope, r]) => [scope, r.since!])),
    },
    advisories: () => new AdvisoryBook(bundledAdvisories, bundledReleases),
    counters,
  };
}

async function config(over: Partial<MetricsConfig> = {}): Promise<MetricsConfig> {
  return { listen: parseListenAddress(`127.0.0.1:${await freePort()}`, "--metrics-listen"), setting: "--metrics-listen", maxServers: 10_000, maxScopes: 1_000, ...over };
}

async function start(t: import("ava").ExecutionContext, servers: number, over: Partial<MetricsConfig> = {}): Promise<{ endpoint: MetricsEndpoint; url: string }> {
  const endpoint = await MetricsEndpoint.start(await config(over), { log, sources: sources(servers) });
  t.teardown(() => endpoint.stop());
  return { endpoint, url: `http://127.0.0.1:${endpoint.address.port}` };
}

test("GET /metrics: the text format with the service's metrics and prom-client's process metrics", async (t) => {
  const { url } = await start(t, 30);
  const res = await fetch(`${url}/metrics`);
  t.is(res.status, 200);
  t.regex(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const body = await res.text();
  t.regex(body, /^# HELP nats_version_monitor_server_info /m);
  t.regex(body, /^# TYPE nats_version_monitor_server_info gauge$/m);
  t.regex(body, /^nats_version_monitor_server_info\{server_name="server-00000",cluster="cluster-0",version="2\.10\.27",go="go1\.22\.12"\} 1$/m);
  t.regex(body, /^nats_version_monitor_mismatch_state\{scope="system",cluster="",state="stale"\} 1$/m);
  t.regex(body, /^# TYPE nats_version_monitor_ingest_messages_total counter$/m);
  t.regex(body, /^process_cpu_seconds_total \d/m);
  t.regex(body, /^nodejs_eventloop_lag_seconds \d/m);
  const head = await fetch(`${url}/metrics`, { method: "HEAD" });
  t.is(head.status, 200);
  t.is(await head.text(), "");
});

test("anything but GET or HEAD /metrics: 404 or 405, and the endpoint keeps answering", async (t) => {
  const { url } = await start(t, 3);
  const other = await fetch(`${url}/`);
  t.is(other.status, 404);
  t.regex(await other.text(), /the metrics are at \/metrics/);
  const post = await fetch(`${url}/metrics`, { method: "POST", body: "x" });
  t.is(post.status, 405);
  t.is(post.headers.get("allow"), "GET, HEAD");
  t.is((await fetch(`${url}/metrics?x=1`)).status, 200);
});

test("a taken address stops the start with one line naming the setting and the address", async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const cfg = { ...(await config()), listen: parseListenAddress(`127.0.0.1:${port}`, "VERSION_MONITOR_METRICS_LISTEN"), setting: "VERSION_MONITOR_METRICS_LISTEN" };
  const err = await t.throwsAsync(MetricsEndpoint.start(cfg, { log, sources: sources(1) }), { instanceOf: ConfigError });
  t.is(err!.message, `VERSION_MONITOR_METRICS_LISTEN 127.0.0.1:${port}: cannot listen: the address is already in use (another process listens there)`);
});

test("stop closes the listener and the connections Prometheus keeps alive", async (t) => {
  const cfg = await config();
  const endpoint = await MetricsEndpoint.start(cfg, { log, sources: sources(1) });
  const url = `http://127.0.0.1:${cfg.listen.port}/metrics`;
  t.is((await fetch(url, { headers: { connection: "keep-alive" } })).status, 200);
  await endpoint.stop();
  await t.throwsAsync(fetch(url));
  // The port is free again at once: a monitor that starts again binds it.
  const again = await MetricsEndpoint.start(cfg, { log, sources: sources(1) });
  await again.stop();
  t.pass();
});

test("10,000 servers in 20 clusters: every server has its info series, and a scrape holds the event loop briefly", async (t) => {
  const { endpoint, url } = await start(t, 10_000);
  // Warm-up (JIT, the advisory book's per-version cache), then the median of ten scrapes as the endpoint measures them.
  await fetch(`${url}/metrics`).then((r) => r.text());
  const held: number[] = [];
  let body = "";
  for (let i = 0; i < 10; i++) {
    body = await fetch(`${url}/metrics`).then((r) => r.text());
    held.push(Number(/^nats_version_monitor_scrape_seconds ([\d.e-]+)$/m.exec(body)![1]) * 1000);
  }
  // Each scrape reports the previous one's time; the last one's is asked directly.
  const started = performance.now();
  await endpoint.scrape();
  held.push(performance.now() - started);
  held.shift();
  const sorted = [...held].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  t.log(`scrape at 10,000 servers: median ${median.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms, ${(body.length / 1024).toFixed(0)} KiB`);
  t.is(body.match(/^nats_version_monitor_server_info\{/gm)?.length, 10_000);
  t.is(body.match(/^nats_version_monitor_server_advisories\{/gm)?.length, 1_000);
  t.regex(body, /^nats_version_monitor_servers_omitted 0$/m);
  t.regex(body, /^nats_version_monitor_version_servers\{version="2\.15\.1"\} 9000$/m);
  // Generous for a loaded two-core machine; the figure itself is logged above.
  t.true(median < 250, `median ${median} ms`);
});

test("the caps hold at 10,000 servers: 1,000 server series and a count of the rest", async (t) => {
  const { url } = await start(t, 10_000, { maxServers: 1_000, maxScopes: 5 });
  const body = await fetch(`${url}/metrics`).then((r) => r.text());
  t.is(body.match(/^nats_version_monitor_server_info\{/gm)?.length, 1_000);
  t.regex(body, /^nats_version_monitor_servers_omitted 9000$/m);
  t.is(body.match(/^nats_version_monitor_mismatch_outliers\{/gm)?.length, 5);
  t.regex(body, /^nats_version_monitor_scopes_omitted 16$/m);
});
