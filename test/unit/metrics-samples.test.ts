import { readFileSync } from "node:fs";
import test from "ava";
import { AdvisoryBook } from "../../src/core/advisory-book.js";
import { Fleet } from "../../src/core/fleet.js";
import type { MismatchRecord } from "../../src/core/mismatch-record.js";
import { ObservationKind } from "../../src/core/observation.js";
import { bundledAdvisories, bundledReleases } from "../../src/data/bundled.js";
import { metricCatalogue, MetricType, type MetricName } from "../../src/metrics/metric-catalogue.js";
import { metricSamples, type MetricsInput, type Sample, type ServiceCounters } from "../../src/metrics/metric-samples.js";
import { observation } from "../helpers/observations.js";

const NOW = 10_000_000;
const book = new AdvisoryBook(bundledAdvisories, bundledReleases);

const counters = (): ServiceCounters => ({
  ingest: { received: { stats: 7, varz: 3, "lame-duck": 1, shutdown: 0 }, rejected: { "not-json": 2, "bad-version": 1 }, pings: 4, probes: 5, leafz: 6, disconnects: 1, queued: 9, dropped: 12 },
  kv: { writes: 9, conflicts: 2, errors: 1, skippedEntries: 3 },
  mismatch: { evaluations: 11, published: { detected: 1, changed: 2 }, duplicates: 1, handovers: 2, conflicts: 3, lateWrites: 4 },
  republish: { fallbacks: 5 },
  bucketRecreations: 1,
  reports: { served: 20, background_builds: 8, on_request_builds: 2, last_build_ms: 12.5, worker_heap_bytes: 52_428_800 },
});

function record(scope: string, over: Partial<MismatchRecord> = {}): MismatchRecord {
  return { scope, state: "consistent", target: "2.10.27", versions: ["2.10.27"], outliers: [], seq: 1, epoch: 1, updatedAt: NOW, ...over };
}

function input(fleet: Fleet, records: readonly MismatchRecord[], over: Partial<MetricsInput> = {}): MetricsInput {
  const byScope = new Map(records.map((r) => [r.scope, r]));
  return {
    now: NOW,
    servers: fleet.records(),
    isLive: (r) => fleet.isLive(r, NOW),
    mismatch: (scope) => byScope.get(scope),
    openScopes: records.filter((r) => r.state !== "consistent").map((r) => r.scope),
    advisories: (version, go) => book.summary(version, go),
    counters: counters(),
    limits: { maxServers: 10_000, maxScopes: 1_000 },
    lastScrapeSeconds: 0.002,
    ...over,
  };
}

/** The samples of one metric as `labels => value` lines, sorted: easy to compare whole. */
function lines(samples: Map<MetricName, Sample[]>, name: MetricName): string[] {
  return (samples.get(name) ?? []).map((s) => `${Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(",")} => ${s.value}`).sort();
}

/** east: two servers on 2.10.27 and one on 2.15.1 (go from VARZ on two); west: one on 2.15.1; one old server gone quiet. */
function mixedFleet(): Fleet {
  const fleet = new Fleet({ offlineAfterMs: 120_000 });
  fleet.observe(observation("east-1", "2.10.27", { cluster: "east", kind: ObservationKind.Varz, go: "go1.22.12" }), NOW - 1000);
  fleet.observe(observation("east-2", "2.10.27", { cluster: "east" }), NOW - 1000);
  fleet.observe(observation("east-3", "2.15.1", { cluster: "east", kind: ObservationKind.Varz, go: "go1.25.9" }), NOW - 1000);
  fleet.observe(observation("west-1", "2.15.1", { cluster: "west" }), NOW - 1000);
  fleet.observe(observation("gone-1", "2.9.10", { cluster: "gone" }), NOW - 3_600_000);
  return fleet;
}

test("per server: an info series for each live server with its versions; advisories only where some apply", (t) => {
  const s = metricSamples(input(mixedFleet(), []));
  t.deepEqual(lines(s, "nats_version_monitor_server_info"), [
    "server_name=east-1,cluster=east,version=2.10.27,go=go1.22.12 => 1",
    "server_name=east-2,cluster=east,version=2.10.27,go= => 1",
    "server_name=east-3,cluster=east,version=2.15.1,go=go1.25.9 => 1",
    "server_name=west-1,cluster=west,version=2.15.1,go= => 1",
  ]);
  const affected = book.summary("2.10.27");
  t.true(affected.count > 0, "2.10.27 is affected by known advisories in the bundled dataset");
  const advisories = lines(s, "nats_version_monitor_server_advisories");
  t.deepEqual(advisories.map((l) => l.split(",")[0]), ["server_name=east-1", "server_name=east-2"]);
  // east-1's Go is known, and some Go toolchain advisory applies to it as well.
  const withGo = book.summary("2.10.27", "go1.22.12");
  t.true(withGo.count > affected.count);
  t.is(advisories[0], `server_name=east-1,cluster=east,version=2.10.27,worst_severity=${withGo.worst_severity ?? ""} => ${withGo.count}`);
  t.is(advisories[1], `server_name=east-2,cluster=east,version=2.10.27,worst_severity=${affected.worst_severity ?? ""} => ${affected.count}`);
  t.deepEqual(lines(s, "nats_version_monitor_version_servers"), ["version=2.10.27 => 2", "version=2.15.1 => 2"]);
  t.deepEqual(lines(s, "nats_version_monitor_version_advisories"), [`version=2.10.27 => ${affected.count}`, `version=2.15.1 => ${book.summary("2.15.1").count}`]);
  t.deepEqual(lines(s, "nats_version_monitor_affected_servers"), [" => 2"]);
  t.deepEqual(lines(s, "nats_version_monitor_offline_servers"), [" => 1"]);
  t.deepEqual(lines(s, "nats_version_monitor_servers_omitted"), [" => 0"]);
});

test("per scope: the decided state as a state set, its age, outliers, versions, gap and target", (t) => {
  const s = metricSamples(
    input(mixedFleet(), [
      record("system", { state: "rolling-upgrade", target: "2.15.1", versions: ["2.15.1", "2.10.27"], outliers: ["east-1", "east-2"], since: NOW - 90_500 }),
      record("cluster:east", { state: "stale", target: "2.10.27", versions: ["2.15.1", "2.10.27"], outliers: ["east-3"], since: NOW - 2 * 86_400_000 }),
      record("cluster:west", { target: "2.15.1", versions: ["2.15.1"] }),
      // A cluster whose servers are all gone, with its mismatch still on record: shown until resolved.
      record("cluster:old", { state: "stalled", target: "2.10.27", versions: ["2.10.27", "2.10.20"], outliers: ["old-1"], since: NOW - 1000 }),
    ]),
  );
  t.deepEqual(lines(s, "nats_version_monitor_mismatch_state").filter((l) => l.endsWith("1")), [
    "scope=cluster:east,cluster=east,state=stale => 1",
    "scope=cluster:old,cluster=old,state=stalled => 1",
    "scope=cluster:west,cluster=west,state=consistent => 1",
    "scope=system,cluster=,state=rolling-upgrade => 1",
  ]);
  t.is(s.get("nats_version_monitor_mismatch_state")!.length, 4 * 4, "every state of every scope, 0 or 1");
  t.deepEqual(lines(s, "nats_version_monitor_mismatch_age_seconds"), [
    "scope=cluster:east,cluster=east => 172800",
    "scope=cluster:old,cluster=old => 1",
    "scope=cluster:west,cluster=west => 0",
    "scope=system,cluster= => 90.5",
  ]);
  t.deepEqual(lines(s, "nats_version_monitor_mismatch_outliers"), [
    "scope=cluster:east,cluster=east => 1",
    "scope=cluster:old,cluster=old => 1",
    "scope=cluster:west,cluster=west => 0",
    "scope=system,cluster= => 2",
  ]);
  t.deepEqual(lines(s, "nats_version_monitor_mismatch_versions").map((l) => l.split(" => ")[1]), ["2", "2", "1", "2"]);
  // minor (2.10 -> 2.15) is 4, patch (2.10.20 -> 2.10.27) is 3, none is 0.
  t.deepEqual(lines(s, "nats_version_monitor_mismatch_gap"), [
    "scope=cluster:east,cluster=east => 4",
    "scope=cluster:old,cluster=old => 3",
    "scope=cluster:west,cluster=west => 0",
    "scope=system,cluster= => 4",
  ]);
  t.deepEqual(lines(s, "nats_version_monitor_mismatch_target_info"), [
    "scope=cluster:east,cluster=east,version=2.10.27 => 1",
    "scope=cluster:old,cluster=old,version=2.10.27 => 1",
    "scope=cluster:west,cluster=west,version=2.15.1 => 1",
    "scope=system,cluster=,version=2.15.1 => 1",
  ]);
});

test("a scope not judged yet (no record) has no series; a consistent record of a cluster with no live server is not shown", (t) => {
  const s = metricSamples(input(mixedFleet(), [record("cluster:west"), record("cluster:forgotten")]));
  t.deepEqual(lines(s, "nats_version_monitor_mismatch_outliers"), ["scope=cluster:west,cluster=west => 0"]);
  t.deepEqual(lines(s, "nats_version_monitor_scopes_omitted"), [" => 0"]);
});

test("label cardinality is bounded: servers and scopes beyond the caps are left out and counted", (t) => {
  const fleet = new Fleet({ offlineAfterMs: 120_000 });
  for (let i = 0; i < 50; i++) fleet.observe(observation(`s${i}`, i % 10 === 0 ? "2.10.27" : "2.15.1", { cluster: `c${i % 5}` }), NOW);
  const records = [record("system"), ...[0, 1, 2, 3, 4].map((c) => record(`cluster:c${c}`))];
  const s = metricSamples(input(fleet, records, { limits: { maxServers: 20, maxScopes: 3 } }));
  t.is(s.get("nats_version_monitor_server_info")!.length, 20);
  t.deepEqual(lines(s, "nats_version_monitor_servers_omitted"), [" => 30"]);
  t.is(s.get("nats_version_monitor_server_advisories")!.length, 2, "advisories of the servers shown only");
  // The fleet-wide figures count every server.
  t.deepEqual(lines(s, "nats_version_monitor_version_servers"), ["version=2.10.27 => 5", "version=2.15.1 => 45"]);
  t.deepEqual(lines(s, "nats_version_monitor_affected_servers"), [" => 5"]);
  // The system first, then clusters by name.
  t.deepEqual(lines(s, "nats_version_monitor_mismatch_outliers").map((l) => l.split(",")[0]), ["scope=cluster:c0", "scope=cluster:c1", "scope=system"]);
  t.deepEqual(lines(s, "nats_version_monitor_scopes_omitted"), [" => 3"]);
});

test("the service's figures: the numbers nats micro stats shows, every event type from zero", (t) => {
  const s = metricSamples(input(mixedFleet(), []));
  t.deepEqual(lines(s, "nats_version_monitor_ingest_messages_total"), ["kind=lame-duck => 1", "kind=shutdown => 0", "kind=stats => 7", "kind=varz => 3"]);
  t.deepEqual(lines(s, "nats_version_monitor_ingest_rejected_total"), ["reason=bad-version => 1", "reason=not-json => 2"]);
  t.deepEqual(lines(s, "nats_version_monitor_kv_writes_total"), ["outcome=conflict => 2", "outcome=error => 1", "outcome=ok => 9"]);
  t.deepEqual(lines(s, "nats_version_monitor_events_published_total"), [
    "type=affected => 0",
    "type=changed => 2",
    "type=detected => 1",
    "type=resolved => 0",
    "type=stale => 0",
    "type=stalled => 0",
  ]);
  t.deepEqual(lines(s, "nats_version_monitor_report_builds_total"), ["where=request => 2", "where=worker => 8"]);
  t.deepEqual(lines(s, "nats_version_monitor_report_build_seconds"), [" => 0.0125"]);
  t.deepEqual(lines(s, "nats_version_monitor_report_worker_heap_bytes"), [" => 52428800"]);
  for (const [name, value] of [
    ["nats_version_monitor_pings_total", 4],
    ["nats_version_monitor_probes_total", 5],
    ["nats_version_monitor_leafz_answers_total", 6],
    ["nats_version_monitor_system_disconnects_total", 1],
    ["nats_version_monitor_ingest_queued", 9],
    ["nats_version_monitor_ingest_dropped_total", 12],
    ["nats_version_monitor_kv_skipped_entries_total", 3],
    ["nats_version_monitor_event_duplicates_total", 1],
    ["nats_version_monitor_event_handovers_total", 2],
    ["nats_version_monitor_event_republish_fallbacks_total", 5],
    ["nats_version_monitor_mismatch_evaluations_total", 11],
    ["nats_version_monitor_mismatch_record_conflicts_total", 3],
    ["nats_version_monitor_mismatch_late_writes_total", 4],
    ["nats_version_monitor_bucket_recreations_total", 1],
    ["nats_version_monitor_reports_served_total", 20],
    ["nats_version_monitor_scrape_seconds", 0.002],
  ] as const) {
    t.deepEqual(lines(s, name), [` => ${value}`], name);
  }
});

test("the catalogue: every label of every sample is declared, counters end in _total, and the README documents every name", (t) => {
  const s = metricSamples(
    input(mixedFleet(), [record("system", { state: "stale", target: "2.15.1", versions: ["2.15.1", "2.10.27"], outliers: ["east-1"], since: NOW - 1000 })]),
  );
  for (const [name, samples] of s) {
    for (const sample of samples) t.deepEqual(Object.keys(sample.labels).sort(), [...metricCatalogue[name].labels].sort(), name);
  }
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  for (const [name, def] of Object.entries(metricCatalogue)) {
    t.is(name.endsWith("_total"), def.type === MetricType.Counter, `${name}: _total exactly on counters`);
    t.true(s.has(name as MetricName), `${name} has samples`);
    t.true(readme.includes(`\`${name}\``), `README documents ${name}`);
  }
});
