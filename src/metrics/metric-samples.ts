import type { AdvisorySummary } from "../core/advisory-book.js";
import { MismatchEventType } from "../core/mismatch-transition.js";
import { clusterOfScope, clusterScope, SYSTEM_SCOPE, type MismatchRecord } from "../core/mismatch-record.js";
import { MismatchState } from "../core/mismatch-state.js";
import type { ServerRecord } from "../core/server-record.js";
import { GapGrade, gradeGap, maxGap } from "../core/version-gap.js";
import { parseVersion } from "../core/version.js";
import type { MetricName } from "./metric-catalogue.js";

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The figures `nats micro stats` shows (the collector's, the store's, the tracker's, ...), as they are. */
export interface ServiceCounters {
  readonly ingest: {
    readonly received: Readonly<Record<string, number>>;
    readonly rejected: Readonly<Record<string, number>>;
    readonly pings: number;
    readonly probes: number;
    readonly leafz: number;
    readonly disconnects: number;
    readonly queued: number;
    readonly dropped: number;
  };
  readonly kv: { readonly writes: number; readonly conflicts: number; readonly errors: number; readonly skippedEntries: number };
  readonly mismatch: {
    readonly evaluations: number;
    readonly published: Readonly<Record<string, number>>;
    readonly duplicates: number;
    readonly handovers: number;
    readonly conflicts: number;
    readonly lateWrites: number;
  };
  readonly republish: { readonly fallbacks: number };
  readonly bucketRecreations: number;
  readonly reports: { readonly served: number; readonly background_builds: number; readonly on_request_builds: number; readonly last_build_ms: number; readonly worker_heap_bytes: number };
}

/** Label cardinality bounds: beyond these, series are left out and counted. */
export interface MetricLimits {
  readonly maxServers: number;
  readonly maxScopes: number;
}

/** Everything the metrics show, as the monitor holds it at the moment of a scrape. */
export interface MetricsInput {
  readonly now: number;
  /** Every server the monitor knows, live or not, in the fleet's order. */
  readonly servers: Iterable<ServerRecord>;
  readonly isLive: (r: ServerRecord) => boolean;
  /** The decided mismatch record of a scope (the one its events come from); undefined before the first judgement. */
  readonly mismatch: (scope: string) => MismatchRecord | undefined;
  /** Scopes with a mismatch on record: shown even when no live server is left in them. */
  readonly openScopes: Iterable<string>;
  /** The advisories that apply to a version (and its Go, when given), from the dataset in use. */
  readonly advisories: (version: string, go?: string) => AdvisorySummary;
  readonly counters: ServiceCounters;
  readonly limits: MetricLimits;
  /** How long the previous scrape took to compute, in seconds. */
  readonly lastScrapeSeconds: number;
}

/** The value of `nats_version_monitor_mismatch_gap`, ordered like the grades. */
export const gapValue: Readonly<Record<GapGrade, number>> = { none: 0, build: 1, prerelease: 2, patch: 3, minor: 4, major: 5 };

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The largest gap between the record's target and any version of its scope. */
export function recordGap(r: MismatchRecord): GapGrade {
  const target = r.target === null ? undefined : parseVersion(r.target);
  if (!target) return GapGrade.None;
  let gap: GapGrade = GapGrade.None;
  for (const text of r.versions) {
    const v = parseVersion(text);
    if (v) gap = maxGap(gap, gradeGap(target, v));
  }
  return gap;
}

/**
 * The samples of every metric of the catalogue, computed from the monitor's state in one pass over
 * the fleet (no report is built). Per-server series follow the fleet's order up to
 * `limits.maxServers`; per-scope series list the system, then clusters by name, up to
 * `limits.maxScopes`; what is left out is counted. Pure: no clock, no I/O.
 */
export function metricSamples(input: MetricsInput): Map<MetricName, Sample[]> {
  const out = new Map<MetricName, Sample[]>();
  const add = (name: MetricName, value: number, labels: Record<string, string> = {}) => {
    let list = out.get(name);
    if (!list) out.set(name, (list = []));
    list.push({ labels, value });
  };

  // Servers.
  const versions = new Map<string, number>();
  const liveClusters = new Set<string>();
  let shown = 0;
  let omitted = 0;
  let affected = 0;
  let offline = 0;
  // A fleet has a handful of (version, Go) pairs: each is summarised once per scrape.
  const summaries = new Map<string, AdvisorySummary>();
  const advisoriesOf = (r: ServerRecord) => {
    const key = `${r.version}\n${r.go ?? ""}`;
    let summary = summaries.get(key);
    if (!summary) summaries.set(key, (summary = input.advisories(r.version, r.go)));
    return summary;
  };
  for (const r of input.servers) {
    if (!input.isLive(r)) {
      offline++;
      continue;
    }
    versions.set(r.version, (versions.get(r.version) ?? 0) + 1);
    liveClusters.add(r.cluster);
    const advisories = advisoriesOf(r);
    if (advisories.count > 0) affected++;
    if (shown >= input.limits.maxServers) {
      omitted++;
      continue;
    }
    shown++;
    add("nats_version_monitor_server_info", 1, { server_name: r.name, cluster: r.cluster, version: r.version, go: r.go ?? "" });
    if (advisories.count > 0) {
      add("nats_version_monitor_server_advisories", advisories.count, { server_name: r.name, cluster: r.cluster, version: r.version, worst_severity: advisories.worst_severity ?? "" });
    }
  }
  add("nats_version_monitor_servers_omitted", omitted);
  add("nats_version_monitor_affected_servers", affected);
  add("nats_version_monitor_offline_servers", offline);
  for (const version of [...versions.keys()].sort(byText)) {
    add("nats_version_monitor_version_servers", versions.get(version)!, { version });
    add("nats_version_monitor_version_advisories", input.advisories(version).count, { version });
  }

  // Scopes: the system first, then clusters by name.
  const clusters = new Set(liveClusters);
  for (const scope of input.openScopes) {
    const cluster = clusterOfScope(scope);
    if (cluster !== undefined) clusters.add(cluster);
  }
  const scopes = [SYSTEM_SCOPE, ...[...clusters].sort(byText).map(clusterScope)];
  let scopesShown = 0;
  let scopesOmitted = 0;
  for (const scope of scopes) {
    const r = input.mismatch(scope);
    if (!r) continue;
    if (scopesShown >= input.limits.maxScopes) {
      scopesOmitted++;
      continue;
    }
    scopesShown++;
    const labels = { scope, cluster: clusterOfScope(scope) ?? "" };
    for (const state of Object.values(MismatchState)) add("nats_version_monitor_mismatch_state", r.state === state ? 1 : 0, { ...labels, state });
    const open = r.state !== MismatchState.Consistent && r.since !== undefined;
    add("nats_version_monitor_mismatch_age_seconds", open ? Math.max(0, (input.now - r.since!) / 1000) : 0, labels);
    add("nats_version_monitor_mismatch_outliers", r.outliers.length, labels);
    add("nats_version_monitor_mismatch_versions", r.versions.length, labels);
    add("nats_version_monitor_mismatch_gap", gapValue[recordGap(r)], labels);
    if (r.target !== null) add("nats_version_monitor_mismatch_target_info", 1, { ...labels, version: r.target });
  }
  add("nats_version_monitor_scopes_omitted", scopesOmitted);

  // The service's own figures.
  const c = input.counters;
  for (const [kind, n] of Object.entries(c.ingest.received)) add("nats_version_monitor_ingest_messages_total", n, { kind });
  for (const [reason, n] of Object.entries(c.ingest.rejected)) add("nats_version_monitor_ingest_rejected_total", n, { reason });
  add("nats_version_monitor_pings_total", c.ingest.pings);
  add("nats_version_monitor_probes_total", c.ingest.probes);
  add("nats_version_monitor_leafz_answers_total", c.ingest.leafz);
  add("nats_version_monitor_system_disconnects_total", c.ingest.disconnects);
  add("nats_version_monitor_ingest_queued", c.ingest.queued);
  add("nats_version_monitor_ingest_dropped_total", c.ingest.dropped);
  add("nats_version_monitor_kv_writes_total", c.kv.writes, { outcome: "ok" });
  add("nats_version_monitor_kv_writes_total", c.kv.conflicts, { outcome: "conflict" });
  add("nats_version_monitor_kv_writes_total", c.kv.errors, { outcome: "error" });
  add("nats_version_monitor_kv_skipped_entries_total", c.kv.skippedEntries);
  // Every type from the start, so that rate() and increase() see the first event of each.
  for (const type of Object.values(MismatchEventType)) add("nats_version_monitor_events_published_total", c.mismatch.published[type] ?? 0, { type });
  add("nats_version_monitor_event_duplicates_total", c.mismatch.duplicates);
  add("nats_version_monitor_event_handovers_total", c.mismatch.handovers);
  add("nats_version_monitor_event_republish_fallbacks_total", c.republish.fallbacks);
  add("nats_version_monitor_mismatch_evaluations_total", c.mismatch.evaluations);
  add("nats_version_monitor_mismatch_record_conflicts_total", c.mismatch.conflicts);
  add("nats_version_monitor_mismatch_late_writes_total", c.mismatch.lateWrites);
  add("nats_version_monitor_bucket_recreations_total", c.bucketRecreations);
  add("nats_version_monitor_reports_served_total", c.reports.served);
  add("nats_version_monitor_report_builds_total", c.reports.background_builds, { where: "worker" });
  add("nats_version_monitor_report_builds_total", c.reports.on_request_builds, { where: "request" });
  add("nats_version_monitor_report_build_seconds", c.reports.last_build_ms / 1000);
  add("nats_version_monitor_report_worker_heap_bytes", c.reports.worker_heap_bytes);
  add("nats_version_monitor_scrape_seconds", input.lastScrapeSeconds);
  return out;
}
