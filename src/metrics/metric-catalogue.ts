/**
 * Every metric the service exports besides prom-client's process metrics: name, type, labels and
 * help. Names start with `nats_version_monitor_`; server labels are `server_name` and `cluster`,
 * as prometheus-nats-exporter and nats-surveyor label theirs, so the series join with theirs.
 * The README's metrics table lists the same names (a test checks it).
 */
export const MetricType = {
  Gauge: "gauge",
  Counter: "counter",
} as const;
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

export interface MetricDefinition {
  readonly type: MetricType;
  readonly labels: readonly string[];
  readonly help: string;
}

const gauge = (help: string, ...labels: string[]): MetricDefinition => ({ type: MetricType.Gauge, labels, help });
const counter = (help: string, ...labels: string[]): MetricDefinition => ({ type: MetricType.Counter, labels, help });
const SCOPE = ["scope", "cluster"] as const;

export const metricCatalogue = {
  // Servers: live ones, those heard from within --offline-after.
  nats_version_monitor_server_info: gauge("1 for every live server, with its nats-server and Go version (go is empty until its VARZ arrived)", "server_name", "cluster", "version", "go"),
  nats_version_monitor_server_advisories: gauge("Known security advisories that apply to a live server's version or Go; only servers with at least one", "server_name", "cluster", "version", "worst_severity"),
  nats_version_monitor_servers_omitted: gauge("Live servers left out of the per-server series (server_info, server_advisories) by --metrics-max-servers"),
  nats_version_monitor_version_servers: gauge("Live servers running each nats-server version", "version"),
  nats_version_monitor_version_advisories: gauge("Known nats-server security advisories that affect each version in use", "version"),
  nats_version_monitor_affected_servers: gauge("Live servers on a version or Go that a known security advisory affects"),
  nats_version_monitor_offline_servers: gauge("Servers known from earlier but not heard from within --offline-after (until --forget-after)"),
  // Scopes: the whole system (scope="system") and each cluster (scope="cluster:NAME"), as last decided.
  nats_version_monitor_mismatch_state: gauge("1 for the scope's current mismatch state, 0 for the others", ...SCOPE, "state"),
  nats_version_monitor_mismatch_age_seconds: gauge("How long the scope's current mismatch has lasted; 0 while consistent", ...SCOPE),
  nats_version_monitor_mismatch_outliers: gauge("Servers of the scope not on its target version", ...SCOPE),
  nats_version_monitor_mismatch_versions: gauge("Distinct nats-server versions in the scope", ...SCOPE),
  nats_version_monitor_mismatch_gap: gauge("Largest gap between an outlier and the target: 0 none, 1 build, 2 prerelease, 3 patch, 4 minor (a NATS major step such as 2.9 -> 2.10), 5 major", ...SCOPE),
  nats_version_monitor_mismatch_target_info: gauge("1, with the scope's target version (the majority; a tie goes to the newest)", ...SCOPE, "version"),
  nats_version_monitor_scopes_omitted: gauge("Scopes left out of the per-scope series by --metrics-max-scopes"),
  // The service itself: the figures `nats micro stats` shows, since the process started.
  nats_version_monitor_ingest_messages_total: counter("Server advertisements and answers taken in, by kind (stats, varz, lame-duck, shutdown)", "kind"),
  nats_version_monitor_ingest_rejected_total: counter("Advertisements rejected at the edge, by reason", "reason"),
  nats_version_monitor_pings_total: counter("Pings sent to every server ($SYS.REQ.SERVER.PING and .VARZ, .LEAFZ)"),
  nats_version_monitor_probes_total: counter("Fresh STATSZ asked of a cluster's servers to see which are still routed"),
  nats_version_monitor_leafz_answers_total: counter("Answers to LEAFZ pings"),
  nats_version_monitor_system_disconnects_total: counter("Times the system-account connection was lost (a slow consumer loses what was in flight)"),
  nats_version_monitor_ingest_queued: gauge("Advertisements read and waiting to be processed"),
  nats_version_monitor_ingest_dropped_total: counter("Advertisements dropped because the backlog was full (every server is pinged again once it is processed)"),
  nats_version_monitor_kv_writes_total: counter("Server-record writes to the KV bucket, by outcome (ok; conflict: compare-and-set lost, merged and retried; error: failed, retried later)", "outcome"),
  nats_version_monitor_kv_skipped_entries_total: counter("Server records in the bucket that did not decode at load"),
  nats_version_monitor_events_published_total: counter("Mismatch events this instance stored in the event stream, by type", "type"),
  nats_version_monitor_event_duplicates_total: counter("Event offers the stream had already stored (another instance, or a lost acknowledgement)"),
  nats_version_monitor_event_handovers_total: counter("Events another instance wrote but did not deliver, delivered by this one"),
  nats_version_monitor_event_republish_fallbacks_total: counter("Stored events the stream did not republish, published by this instance"),
  nats_version_monitor_mismatch_evaluations_total: counter("Passes judging every scope"),
  nats_version_monitor_mismatch_record_conflicts_total: counter("Mismatch-record writes that lost a compare-and-set to another instance"),
  nats_version_monitor_mismatch_late_writes_total: counter("Mismatch-record writes that landed late and took a scope back (repaired)"),
  nats_version_monitor_bucket_recreations_total: counter("Times the KV bucket was found deleted and created again"),
  nats_version_monitor_reports_served_total: counter("versions.report requests answered"),
  nats_version_monitor_report_builds_total: counter("Report renderings, by where they ran (worker: in the background; request: while a request waited)", "where"),
  nats_version_monitor_report_build_seconds: gauge("Duration of the latest background report rendering"),
  nats_version_monitor_report_worker_heap_bytes: gauge("Heap in use by the report worker (its copy of the fleet), typed arrays included, at its latest rendering; the process metrics show the main thread's"),
  nats_version_monitor_scrape_seconds: gauge("Time the previous scrape of this endpoint held the event loop to compute its samples"),
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof metricCatalogue;
