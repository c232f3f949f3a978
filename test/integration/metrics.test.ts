import { readFileSync } from "node:fs";
import test from "ava";
import { AdvisoryBook } from "../../src/core/advisory-book.js";
import { bundledAdvisories, bundledReleases } from "../../src/data/bundled.js";
import { freePort } from "../../src/local-cluster/free-port.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import { GiveUp } from "../../src/local-cluster/wait-until.js";
import { runCli, spawnCli } from "../helpers/cli.js";
import { startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { LocalPrometheus, prometheusBinary, run, type VectorSample } from "../helpers/prometheus.js";

// The service runs as users run it (`serve`, its own process, flags parsed by the CLI); a real
// Prometheus scrapes it every second, and every assertion goes through Prometheus's query API.
const ctx = {} as { cluster: LocalCluster; serve: ReturnType<typeof spawnCli>; prometheus: LocalPrometheus; target: string };
const [, older, newer] = threeVersions();
const JOB = "nats-version-monitor";

process.once("exit", () => ctx.serve?.kill("SIGKILL"));

const serveArgs = (cluster: LocalCluster, listen: string) => [
  "serve",
  "--server", cluster.urls.join(","),
  "--user", users.monitor.user, "--password", users.monitor.pass,
  "--sys-user", users.monitorSys.user, "--sys-password", users.monitorSys.pass,
  "--metrics-listen", listen,
  "--log-level", "warn",
];

test.before(async () => {
  // 2.10.27 and 2.15.1, one server each: the tie goes to the newest, the older one is the outlier.
  ctx.cluster = await startCluster([{ name: "metrics", binaries: [older.path, newer.path] }]);
  ctx.target = `127.0.0.1:${await freePort()}`;
  ctx.serve = spawnCli(serveArgs(ctx.cluster, ctx.target));
  await waitUntil(
    "the service's /metrics",
    async () => {
      if (ctx.serve.exitCode !== null) throw new GiveUp(`serve exited with ${ctx.serve.exitCode}: ${ctx.serve.output().stderr}`);
      return (await fetch(`http://${ctx.target}/metrics`)).ok ? true : undefined;
    },
    60_000,
  );
  ctx.prometheus = await LocalPrometheus.start({ job: JOB, targets: [ctx.target], ruleFiles: ["examples/prometheus/alerts.yml"] });
});

test.after.always(async () => {
  await ctx.prometheus?.stop();
  if (ctx.serve && ctx.serve.exitCode === null) {
    ctx.serve.kill("SIGTERM");
    await ctx.serve.done;
  }
  await stopCluster(ctx.cluster);
});

/** Waits until Prometheus answers the query with what `ok` accepts; returns that answer. */
function until(what: string, promql: string, ok: (r: VectorSample[]) => boolean, timeoutMs = 30_000): Promise<VectorSample[]> {
  return waitUntil(what, async () => {
    const r = await ctx.prometheus.query(promql);
    return ok(r) ? r : undefined;
  }, timeoutMs, 250);
}

const byName = (r: VectorSample[]) => [...r].sort((a, b) => ((a.metric["server_name"] ?? "") < (b.metric["server_name"] ?? "") ? -1 : 1));

test.serial("Prometheus scrapes the service: up, with prom-client's process metrics", async (t) => {
  const up = await until("the target up", `up{job="${JOB}"}`, (r) => r[0]?.value === 1);
  t.is(up[0]!.metric["instance"], ctx.target);
  const cpu = await until("process metrics", `process_cpu_seconds_total{job="${JOB}"}`, (r) => r.length === 1);
  t.true(cpu[0]!.value > 0);
});

test.serial("server info of the real mixed-version cluster: both servers, their versions and Go", async (t) => {
  const info = byName(await until("both servers with their Go", `nats_version_monitor_server_info{job="${JOB}"}`, (r) => r.length === 2 && r.every((s) => s.metric["go"])));
  t.deepEqual(
    info.map((s) => [s.metric["server_name"], s.metric["cluster"], s.metric["version"], s.value]),
    [
      ["metrics-1", "metrics", older.version, 1],
      ["metrics-2", "metrics", newer.version, 1],
    ],
  );
  for (const s of info) t.regex(s.metric["go"]!, /^go1\.\d+/);
  const perVersion = await until("servers per version", `nats_version_monitor_version_servers{job="${JOB}"}`, (r) => r.length === 2);
  t.deepEqual(Object.fromEntries(perVersion.map((s) => [s.metric["version"], s.value])), { [older.version]: 1, [newer.version]: 1 });
  t.deepEqual((await ctx.prometheus.query(`nats_version_monitor_offline_servers{job="${JOB}"}`)).map((s) => s.value), [0]);
  t.deepEqual((await ctx.prometheus.query(`nats_version_monitor_servers_omitted{job="${JOB}"}`)).map((s) => s.value), [0]);
});

test.serial("the mismatch of the system and of the cluster: rolling upgrade to the newest, one outlier a minor step behind", async (t) => {
  const states = await until("both scopes judged", `nats_version_monitor_mismatch_state{job="${JOB}"} == 1`, (r) => r.length === 2);
  t.deepEqual(states.map((s) => [s.metric["scope"], s.metric["cluster"] ?? "", s.metric["state"]]).sort(), [
    ["cluster:metrics", "metrics", "rolling-upgrade"],
    ["system", "", "rolling-upgrade"],
  ]);
  // A state set: the other three states of each scope are there, at 0.
  t.is((await ctx.prometheus.query(`nats_version_monitor_mismatch_state{job="${JOB}"} == 0`)).length, 6);
  for (const scope of ["system", "cluster:metrics"]) {
    const one = async (name: string) => (await ctx.prometheus.query(`${name}{job="${JOB}", scope="${scope}"}`)).map((s) => s.value);
    t.deepEqual(await one("nats_version_monitor_mismatch_outliers"), [1], scope);
    t.deepEqual(await one("nats_version_monitor_mismatch_versions"), [2], scope);
    t.deepEqual(await one("nats_version_monitor_mismatch_gap"), [4], `${scope}: 2.10 -> 2.15 is a minor grade (4)`);
    const target = await ctx.prometheus.query(`nats_version_monitor_mismatch_target_info{job="${JOB}", scope="${scope}"}`);
    t.deepEqual(target.map((s) => [s.metric["version"], s.value]), [[newer.version, 1]], scope);
  }
  // The age moves on with the clock, scrape after scrape.
  const age = async () => (await ctx.prometheus.query(`nats_version_monitor_mismatch_age_seconds{job="${JOB}", scope="system"}`))[0]?.value ?? -1;
  const first = await age();
  t.true(first >= 0);
  await until("the age to grow", `nats_version_monitor_mismatch_age_seconds{job="${JOB}", scope="system"} > ${first + 1}`, (r) => r.length === 1);
});

test.serial("advisories per server: the older server's, as the bundled dataset counts them for its version and Go", async (t) => {
  const book = new AdvisoryBook(bundledAdvisories, bundledReleases);
  const info = await ctx.prometheus.query(`nats_version_monitor_server_info{job="${JOB}"}`);
  const go = Object.fromEntries(info.map((s) => [s.metric["server_name"], s.metric["go"]]));
  const expected = (version: string, name: string) => book.summary(version, go[name]);
  t.true(expected(older.version, "metrics-1").count > 0, `${older.version} is affected in the bundled dataset`);
  const advisories = await ctx.prometheus.query(`nats_version_monitor_server_advisories{job="${JOB}"}`);
  const want = [["metrics-1", older.version], ["metrics-2", newer.version]]
    .map(([name, version]) => ({ name: name!, version: version!, summary: expected(version!, name!) }))
    .filter((w) => w.summary.count > 0);
  t.deepEqual(
    byName(advisories).map((s) => [s.metric["server_name"], s.metric["version"], s.metric["worst_severity"] ?? "", s.value]),
    want.map((w) => [w.name, w.version, w.summary.worst_severity ?? "", w.summary.count]),
  );
  const affected = await ctx.prometheus.query(`nats_version_monitor_affected_servers{job="${JOB}"}`);
  t.deepEqual(affected.map((s) => s.value), [want.length]);
});

test.serial("the service's counters: advertisements taken in, KV writes, the detected events", async (t) => {
  await until("advertisements counted", `nats_version_monitor_ingest_messages_total{job="${JOB}", kind="stats"} > 0`, (r) => r.length === 1);
  await until("VARZ answers counted", `nats_version_monitor_ingest_messages_total{job="${JOB}", kind="varz"} >= 2`, (r) => r.length === 1);
  await until("server records written", `nats_version_monitor_kv_writes_total{job="${JOB}", outcome="ok"} >= 2`, (r) => r.length === 1);
  // A fresh bucket: this instance detected the mismatch of the system and of the cluster.
  await until("two detected events", `sum(nats_version_monitor_events_published_total{job="${JOB}", type="detected"}) == 2`, (r) => r.length === 1);
  const types = await ctx.prometheus.query(`nats_version_monitor_events_published_total{job="${JOB}"}`);
  t.deepEqual(types.map((s) => s.metric["type"]).sort(), ["affected", "changed", "detected", "resolved", "stale", "stalled"]);
  t.deepEqual((await ctx.prometheus.query(`nats_version_monitor_ingest_rejected_total{job="${JOB}"} > 0`)).map((s) => s.metric["reason"]), []);
});

test.serial("promtool check metrics accepts the service's own metrics", async (t) => {
  const body = await (await fetch(`http://${ctx.target}/metrics`)).text();
  // prom-client's process metrics are its own: three of its gauges end in _total (nodejs_active_handles_total, ...).
  const ours = body.split("\n").filter((l) => /^(# (HELP|TYPE) )?nats_version_monitor_/.test(l)).join("\n") + "\n";
  t.true(ours.length > 1000);
  const r = await run(prometheusBinary("promtool"), ["check", "metrics"], ours);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is(r.stdout + r.stderr, "");
});

test.serial("the example alert rules evaluate against the real series without error; none fires in a young rolling upgrade", async (t) => {
  type Rules = { groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string; state: string }[] }[] };
  const rules = await waitUntil("every rule evaluated", async () => {
    const all = (await ctx.prometheus.api<Rules>("/api/v1/rules")).groups.flatMap((g) => g.rules);
    return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith("0001")) ? all : undefined;
  });
  t.deepEqual(
    rules.map((r) => [r.name, r.health, r.lastError ?? ""]),
    ["NatsVersionMismatchStale", "NatsVersionMismatchStalled", "NatsServerVulnerable", "NatsVersionMonitorSeriesOmitted"].map((n) => [n, "ok", ""]),
  );
  const state = Object.fromEntries(rules.map((r) => [r.name, r.state]));
  t.is(state["NatsVersionMismatchStale"], "inactive");
  t.is(state["NatsVersionMismatchStalled"], "inactive");
  // The older server is affected: pending (its `for` is 30 minutes).
  t.is(state["NatsServerVulnerable"], "pending");
});

test.serial("the example Grafana dashboard's queries run against the real series; its state timeline shows both scopes in a rolling upgrade", async (t) => {
  const dashboard = JSON.parse(readFileSync(new URL("../../examples/grafana/nats-version-monitor.json", import.meta.url), "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((x) => ({ panel: p.title, promql: x.expr.replaceAll("$job", JOB).replaceAll("$__rate_interval", "1m") })));
  t.true(exprs.length >= 10);
  for (const { panel, promql } of exprs) {
    // A query Prometheus refuses throws; every one has data for this service.
    const r = await ctx.prometheus.query(promql);
    t.true(r.length > 0, `${panel}: ${promql}`);
  }
  const timeline = await ctx.prometheus.query(exprs.find((e) => e.panel === "Mismatch state by scope")!.promql);
  t.deepEqual(timeline.map((s) => [s.metric["scope"], s.value]).sort(), [["cluster:metrics", 1], ["system", 1]]);
});

test.serial("a bad or taken --metrics-listen ends serve with exit 2 and one line", async (t) => {
  const bad = await runCli(serveArgs(ctx.cluster, "9775"));
  t.is(bad.code, 2);
  t.is(bad.stderr, 'nats-version-monitor: --metrics-listen: "9775" is not a listen address (use HOST:PORT or :PORT, e.g. 127.0.0.1:9775 or :9775)\n');
  // The running service holds the address.
  const taken = await runCli(serveArgs(ctx.cluster, ctx.target));
  t.is(taken.code, 2, taken.stderr);
  t.is(taken.stderr, `nats-version-monitor: --metrics-listen ${ctx.target}: cannot listen: the address is already in use (another process listens there)\n`);
  // And the running one goes on answering.
  t.true((await fetch(`http://${ctx.target}/metrics`)).ok);
});
