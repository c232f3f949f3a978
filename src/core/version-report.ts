import { isoTime as iso } from "./iso-time.js";
import type { OutlierDiagnosis } from "./classify-mismatch.js";
import type { DuplicateName, Fleet } from "./fleet.js";
import { defaultMismatchPolicy, type MismatchPolicy } from "./mismatch-policy.js";
import { clusterScope, SYSTEM_SCOPE } from "./mismatch-record.js";
import type { MismatchState, OutlierCause } from "./mismatch-state.js";
import { analyzeCluster, analyzeParts, digestsOf, systemParts, type ScopeAnalysis, type SinceOf } from "./scope-analysis.js";
import { compareNames } from "./sorted-names.js";
import type { ClusterDigest } from "./cluster-digest.js";
import { sliceMerged } from "./merge-sorted.js";
import { ScopeRole } from "./mismatch-policy.js";
import { leavesView, type LeavesView } from "./leaf-view.js";
import { gapRisk, type GapGrade } from "./version-gap.js";
import type { ServerRecord } from "./server-record.js";
import { recordIn, targetOf, type Direction, type Outlier, type VersionSummary } from "./version-summary.js";
import { assessVisibility, type Visibility } from "./visibility.js";
import type { AdvisoryBook, AdvisorySummary } from "./advisory-book.js";
import { assessInventory, type Inventory } from "./inventory.js";

/** What a caller may ask of `versions.report` (validated at the edge). */
export interface ReportQuery {
  /** Only this cluster. */
  readonly cluster?: string;
  /** Only this server (by name). */
  readonly server?: string;
  /** Page of server details, from 1. */
  readonly page?: number;
  readonly pageSize?: number;
}

/** Bounds that keep a reply under the connection's max_payload however large the fleet. */
export interface ReportLimits {
  readonly pageSize: number;
  readonly maxOutliers: number;
  /** Names listed per version group and per cluster before "and N more". */
  readonly maxNames: number;
}

export const defaultReportLimits: ReportLimits = { pageSize: 100, maxOutliers: 1000, maxNames: 50 };

export interface ServerView {
  readonly name: string;
  readonly id: string;
  readonly cluster: string;
  readonly domain?: string;
  readonly host: string;
  readonly version: string;
  readonly go?: string;
  readonly git_commit?: string;
  readonly state: string;
  /** Set while the server is unreachable: when it was last heard from. */
  readonly unreachable_since?: string;
  readonly started_at?: string;
  readonly uptime_seconds?: number;
  readonly first_seen: string;
  readonly version_since: string;
  readonly last_seen: string;
  /** Known security advisories that apply to this server's version (or its Go), when there are any. */
  readonly advisories?: AdvisorySummary;
  /** A leaf node (connects out to a hub); absent for hub servers. */
  readonly leaf?: true;
}

export interface OutlierView extends ServerView {
  readonly target: string;
  readonly gap: GapGrade;
  readonly direction: Direction;
  readonly cause?: OutlierCause;
  readonly cause_detail?: string;
}

/** How a scope's mismatch stands: its state, since when, why, and what to do. */
export interface MismatchView {
  readonly state: MismatchState;
  readonly since: string | null;
  readonly mismatch_seconds: number | null;
  readonly reasons: readonly string[];
  readonly action: string;
}

export interface GroupView {
  readonly version: string;
  readonly count: number;
  readonly servers: readonly string[];
  /** Names left out of `servers` to bound the reply. */
  readonly more?: number;
}

export interface ClusterView extends MismatchView {
  readonly name: string;
  /** "hub", or "leaf" for a leaf cluster or standalone leaf server (judged by the leaf policy). */
  readonly role: ScopeRole;
  readonly server_count: number;
  readonly target: string | null;
  readonly consistent: boolean;
  readonly gap: GapGrade;
  readonly groups: readonly { readonly version: string; readonly count: number }[];
  readonly outliers: readonly string[];
  readonly more_outliers?: number;
}

export interface Warning {
  readonly kind: "duplicate-name" | "unnamed-server" | "unreachable" | "unseen-cluster" | "permission-denied" | "bucket-recreated" | "leaf-version-unknown";
  readonly server: string;
  readonly detail: string;
}

/** The answer of `versions.report`. Field names follow NATS' own JSON (snake_case). */
export interface VersionReport extends MismatchView {
  readonly generated_at: string;
  readonly filter: { readonly cluster?: string; readonly server?: string };
  readonly server_count: number;
  readonly target: string | null;
  readonly consistent: boolean;
  readonly gap: GapGrade;
  readonly risk: string;
  readonly groups: readonly GroupView[];
  readonly outliers: readonly OutlierView[];
  readonly outliers_omitted: number;
  readonly clusters: readonly ClusterView[];
  readonly servers: readonly ServerView[];
  readonly page: { readonly number: number; readonly size: number; readonly total_servers: number; readonly total_pages: number };
  /** Servers known from earlier but not heard from lately, or shut down. */
  readonly offline: readonly { readonly name: string; readonly cluster: string; readonly version: string; readonly last_seen: string; readonly state: string }[];
  readonly offline_omitted: number;
  readonly warnings: readonly Warning[];
  readonly warnings_omitted: number;
  readonly clusters_omitted: number;
  readonly visibility: VisibilityView;
  /** Which advisory dataset is in use, what applies to the target, and the version to go to. */
  readonly security?: SecurityView;
  /** The operator's inventory against what is seen; only when one is applied. */
  readonly inventory?: InventoryView;
  /** Leaf nodes, when there are any: their versions against the hub's, and leaves whose version cannot be seen. */
  readonly leaves?: LeavesView;
}

export interface InventoryView {
  readonly entries: number;
  readonly missing: readonly { readonly name: string; readonly cluster: string | null; readonly last_seen: string | null }[];
  readonly unexpected: readonly { readonly name: string; readonly cluster: string; readonly version: string }[];
  readonly drift: readonly { readonly name: string; readonly cluster: string; readonly version: string; readonly pinned: string; readonly pipeline: string | null }[];
  /** The outliers by the `pipeline` label of their inventory entries: separate pipelines, named. */
  readonly outliers_by_pipeline: readonly { readonly pipeline: string; readonly outliers: readonly string[] }[];
}

function inventoryView(inventory: Inventory, live: readonly ServerRecord[], known: readonly ServerRecord[], outliers: readonly string[], limits: ReportLimits): InventoryView {
  const f = assessInventory(inventory, live, known);
  const groups = new Map<string, string[]>();
  for (const name of outliers) {
    const p = f.pipelineOf.get(name) ?? "(no pipeline label)";
    groups.set(p, [...(groups.get(p) ?? []), name]);
  }
  return {
    entries: inventory.entries.length,
    missing: f.missing.slice(0, limits.maxNames).map((m) => ({ ...m, last_seen: m.last_seen === null ? null : iso(m.last_seen) })),
    unexpected: f.unexpected.slice(0, limits.maxNames),
    drift: f.drift.slice(0, limits.maxNames),
    outliers_by_pipeline: [...groups].sort(([a], [b]) => (a < b ? -1 : 1)).map(([pipeline, names]) => ({ pipeline, outliers: names.slice(0, limits.maxNames) })),
  };
}

export interface SecurityView {
  readonly dataset: { readonly source: string; readonly as_of: string };
  readonly target: AdvisorySummary | null;
  /** The lowest released version at or above the target that no known advisory affects. */
  readonly recommended_version: string | null;
  /** Live servers on a version (or Go) that some advisory affects. */
  readonly affected_servers: number;
}

/** How much of the system the monitor sees: answers to its last ping against what the servers list. */
export interface VisibilityView {
  readonly last_ping: { readonly at: string; readonly answered: number } | null;
  readonly expected_servers: number;
  readonly expected_clusters: number;
  readonly not_answering: readonly string[];
  readonly not_answering_omitted: number;
  readonly unreachable: number;
  readonly unseen_clusters: readonly string[];
}

function visibilityView(v: Visibility, limits: ReportLimits): VisibilityView {
  return {
    last_ping: v.lastPing ? { at: iso(v.lastPing.at), answered: v.lastPing.answered } : null,
    expected_servers: v.expectedServers,
    expected_clusters: v.expectedClusters,
    not_answering: v.notAnswering.slice(0, limits.maxNames),
    not_answering_omitted: Math.max(0, v.notAnswering.length - limits.maxNames),
    unreachable: v.unreachable.size,
    unseen_clusters: v.unseenClusters.slice(0, limits.maxNames),
  };
}


export function serverView(r: ServerRecord, now: number, unreachableSince?: number, book?: AdvisoryBook, leaf = false): ServerView {
  const v = { name: r.name, id: r.id, cluster: r.cluster } as Writable<ServerView>;
  addServerFields(v, r, now, unreachableSince, book, leaf);
  return v;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A server's fields after name, id and cluster, in the order the reply shows them. Set one by one,
 * not spread from conditional objects: a whole-system report shows up to 1,000 outliers and a page
 * of servers, and the spreads' short-lived objects were a sixth of building it.
 */
function addServerFields(v: Writable<ServerView>, r: ServerRecord, now: number, unreachableSince: number | undefined, book: AdvisoryBook | undefined, leaf: boolean): void {
  if (r.domain) v.domain = r.domain;
  v.host = r.host;
  v.version = r.version;
  if (r.go !== undefined) v.go = r.go;
  if (r.gitCommit !== undefined) v.git_commit = r.gitCommit;
  v.state = unreachableSince !== undefined ? "unreachable" : r.state;
  if (unreachableSince !== undefined) v.unreachable_since = iso(unreachableSince);
  if (r.startedAt !== undefined) {
    v.started_at = iso(r.startedAt);
    v.uptime_seconds = Math.max(0, Math.floor((now - r.startedAt) / 1000));
  }
  v.first_seen = iso(r.firstSeen);
  v.version_since = iso(r.versionSince);
  v.last_seen = iso(r.lastSeen);
  const advisories = book?.summary(r.version, r.go);
  if (advisories && advisories.count > 0) v.advisories = advisories;
  if (leaf) v.leaf = true;
}

/** `record` is the server's current record (a summary's may lag). */
function outlierView(o: Outlier, record: ServerRecord, target: string, now: number, diagnosis: OutlierDiagnosis | undefined, unreachableSince: number | undefined, book: AdvisoryBook | undefined, leaf: boolean): OutlierView {
  const v = { name: record.name, id: record.id, cluster: record.cluster } as Writable<OutlierView>;
  addServerFields(v, record, now, unreachableSince, book, leaf);
  v.target = target;
  v.gap = o.gap;
  v.direction = o.direction;
  if (diagnosis) {
    v.cause = diagnosis.cause;
    v.cause_detail = diagnosis.detail;
  }
  return v;
}

function mismatchView(a: ScopeAnalysis, now: number): MismatchView {
  const c = a.classification;
  return {
    state: c.state,
    since: c.since === undefined ? null : iso(c.since),
    mismatch_seconds: c.since === undefined ? null : Math.max(0, Math.floor((now - c.since) / 1000)),
    reasons: c.reasons,
    action: c.action,
  };
}

/**
 * Up to `max` clusters, in name order: where there is not room for all, the clusters on more
 * than one version are listed before any consistent one is. An edge fleet has tens of thousands
 * of clusters: by name alone, the clusters a report had room for were mostly consistent ones, and
 * mismatched clusters later in the alphabet were left out of the list.
 */
function mismatchedFirst(digests: readonly ClusterDigest[], max: number): ClusterDigest[] {
  if (digests.length <= max) return [...digests];
  let mismatched = 0;
  for (const d of digests) if (!d.summary.consistent) mismatched++;
  let mismatchedRoom = Math.min(max, mismatched);
  let consistentRoom = max - mismatchedRoom;
  const out: ClusterDigest[] = [];
  for (const d of digests) {
    if (d.summary.consistent ? consistentRoom-- > 0 : mismatchedRoom-- > 0) out.push(d);
  }
  return out;
}

function clusterView(a: ScopeAnalysis, now: number, limits: ReportLimits): ClusterView {
  const s = a.summary;
  const names = s.outliers.map((o) => o.name);
  return {
    name: a.cluster!,
    role: a.role,
    ...mismatchView(a, now),
    server_count: a.size,
    target: s.target ?? null,
    consistent: s.consistent,
    gap: s.gap,
    groups: s.groups.map((g) => ({ version: g.version, count: g.count })),
    outliers: names.slice(0, limits.maxNames),
    ...(names.length > limits.maxNames ? { more_outliers: names.length - limits.maxNames } : {}),
  };
}

function warnings(unnamed: readonly string[], unreachable: readonly [string, number, string][], duplicates: DuplicateName[], visibility: Visibility, extra: readonly Warning[]): Warning[] {
  const out: Warning[] = duplicates.map((d) => ({
    kind: "duplicate-name" as const,
    server: d.name,
    detail: `${d.ids.length} live servers advertise the name ${JSON.stringify(d.name)} (ids ${d.ids.join(", ")}): give each a unique server_name`,
  }));
  for (const [name, since, version] of unreachable) {
    out.push({
      kind: "unreachable",
      server: name,
      detail: `not heard from since ${iso(since)}: it did not answer a ping, and its cluster's servers no longer list a route to it (down, or cut off); it counts as running ${version} until --offline-after`,
    });
  }
  for (const name of unnamed) {
    out.push({
      kind: "unnamed-server",
      server: name,
      detail: "no server_name is configured: the server gets a new id, and so looks like a new server, at every restart",
    });
  }
  for (const c of visibility.unseenClusters) {
    out.push({ kind: "unseen-cluster", server: "", detail: `a gateway leads to cluster ${JSON.stringify(c)}, but none of its servers was ever heard: does its system account reach this one?` });
  }
  return [...extra, ...out];
}

export interface ReportOptions {
  readonly limits: ReportLimits;
  readonly policy: MismatchPolicy;
  /** Durable mismatch start times, by scope (from the KV records). */
  readonly sinceOf: SinceOf;
  /** What the monitor can and cannot see (unreachable servers, answers to its pings). */
  readonly visibility: Visibility;
  /** Warnings about the monitor itself (permissions, its bucket), shown before the servers'. */
  readonly warnings: readonly Warning[];
  /** The advisory dataset in use; without it the report says nothing about security. */
  readonly advisories: AdvisoryBook;
  /** The operator's inventory; without it the report says nothing about it. */
  readonly inventory: Inventory;
}

function securityView(book: AdvisoryBook, target: string | undefined, digests: readonly ClusterDigest[]): SecurityView {
  let affected = 0;
  for (const d of digests) for (const b of d.builds) if (book.applying(b.version, b.go).length > 0) affected += b.count;
  return {
    dataset: { source: book.dataset.source, as_of: book.dataset.as_of },
    target: target ? book.summary(target) : null,
    recommended_version: target ? (book.recommended(target) ?? null) : null,
    affected_servers: affected,
  };
}

/** The action, with what security adds to it: the target itself affected is the first thing to say. */
function securedAction(action: string, security: SecurityView | undefined, target: string | undefined, consistent: boolean): string {
  const t = security?.target;
  if (!security || !target || !t || t.count === 0) return action;
  const n = `${t.count} known advisor${t.count === 1 ? "y" : "ies"}${t.worst_severity ? ` (worst: ${t.worst_severity})` : ""}`;
  const to = security.recommended_version ? `upgrade to ${security.recommended_version}` : "no release in this dataset is free of them: watch the advisories";
  const what = consistent ? `every server runs ${target}, affected by ${n}: ${to}` : `the target ${target} is itself affected by ${n}: ${to} rather than to ${target}`;
  return action === "none" ? what : `${what}; ${action}`;
}

/**
 * The report of the whole system or of one cluster, read from the clusters' digests (see
 * ClusterDigest): its cost follows the number of clusters and the size of what it shows, not the
 * number of servers.
 */
export function buildReport(fleet: Fleet, now: number, query: ReportQuery = {}, options: Partial<ReportOptions> = {}): VersionReport {
  const limits = options.limits ?? defaultReportLimits;
  const policy = options.policy ?? defaultMismatchPolicy;
  const sinceOf = options.sinceOf ?? (() => undefined);
  const visibility = options.visibility ?? assessVisibility(fleet, undefined, new Map(), now);
  const reach = (r: ServerRecord) => visibility.unreachable.get(r.name);
  const book = options.advisories;
  // A summary keeps an outlier's record once read, and it may lag since; what a view shows of a server is read afresh.
  const fresh = (r: ServerRecord) => fleet.current(r);
  const recordOf = recordIn(fleet);
  const one = query.cluster !== undefined ? fleet.digest(query.cluster, now) : undefined;
  const digests = query.cluster !== undefined ? (one ? [one] : []) : digestsOf(fleet, now);
  const populated = digests.filter((d) => d.live.length > 0);
  // The whole system is the hub's verdict; a cluster filter judges that cluster by its own role.
  const scope =
    query.cluster === undefined
      ? analyzeParts(SYSTEM_SCOPE, systemParts(digests), recordOf, now, policy, sinceOf, undefined, ScopeRole.Hub, limits.maxNames)
      : one && one.live.length > 0
        ? analyzeCluster(one, now, policy, sinceOf)
        : analyzeParts(clusterScope(query.cluster), [], recordOf, now, policy, sinceOf, query.cluster);
  const isLeaf = (r: ServerRecord) => fleet.isLeaf(r);
  const leafRecords = digests.flatMap((d) => (d.leaf.count > 0 ? [...d.leaf.buckets.values()].flatMap((b) => b.names.map(recordOf)) : []));
  const hubTarget = () => (query.cluster === undefined ? scope.summary.target : targetOf(systemParts(digestsOf(fleet, now)).map((p) => p.buckets)));
  const leaves = leavesView(fleet, leafRecords, hubTarget, now, limits.maxNames);
  const summary = scope.summary;
  const target = summary.target;
  const shown = (r: ServerRecord) => query.server === undefined || r.name === query.server;
  const outliers = query.server === undefined ? summary.outliers : summary.outliers.filter((o) => o.name === query.server);

  const pageSize = query.pageSize ?? limits.pageSize;
  const page = query.page ?? 1;
  const asked = query.server !== undefined ? fleet.get(query.server) : undefined;
  const details =
    query.server !== undefined
      ? asked && fleet.isLive(asked, now) && (query.cluster === undefined || asked.cluster === query.cluster) ? [asked] : []
      : undefined;
  const totalServers = details ? details.length : populated.reduce((n, d) => n + d.live.length, 0);
  const shownPage = details ?? sliceMerged(populated.map((d) => d.live), compareNames, (page - 1) * pageSize, pageSize).map(recordOf);
  const totalPages = Math.max(1, Math.ceil(totalServers / pageSize));
  const gone = digests
    .flatMap((d) => d.offline)
    .map((n) => fleet.get(n))
    .filter((r): r is ServerRecord => r !== undefined && shown(r))
    .sort((a, b) => b.lastSeen - a.lastSeen);
  const unreachable = [...visibility.unreachable]
    .map(([name, since]) => [fleet.get(name), since] as const)
    .filter(([r]) => r !== undefined && fleet.isLive(r, now) && (query.cluster === undefined || r.cluster === query.cluster))
    .map(([r, since]) => [r!.name, since, r!.version] as [string, number, string]);
  const allWarnings = [
    ...warnings(populated.flatMap((d) => d.unnamed), unreachable, fleet.duplicates(now), visibility, options.warnings ?? []),
    ...(leaves?.unknown ?? []).map((l) => ({ kind: "leaf-version-unknown" as const, server: l.name, detail: l.action })),
  ];
  const security = book ? securityView(book, target, populated) : undefined;
  const overview = mismatchView(scope, now);

  return {
    generated_at: iso(now),
    filter: {
      ...(query.cluster !== undefined ? { cluster: query.cluster } : {}),
      ...(query.server !== undefined ? { server: query.server } : {}),
    },
    ...overview,
    action: securedAction(overview.action, security, target, summary.consistent),
    server_count: scope.size,
    target: target ?? null,
    consistent: summary.consistent,
    gap: summary.gap,
    risk: gapRisk[summary.gap],
    groups: summary.groups.map((g) => ({
      version: g.version,
      count: g.count,
      servers: g.servers.slice(0, limits.maxNames),
      ...(g.count > limits.maxNames ? { more: g.count - limits.maxNames } : {}),
    })),
    outliers: target
      ? outliers
          .slice(0, limits.maxOutliers)
          .map((o) => {
            const record = fresh(o.record);
            return outlierView(o, record, target, now, scope.classification.causes.of(o), reach(record), book, isLeaf(record));
          })
      : [],
    outliers_omitted: Math.max(0, outliers.length - limits.maxOutliers),
    clusters: mismatchedFirst(populated, limits.maxOutliers).map((d) => clusterView(analyzeCluster(d, now, policy, sinceOf), now, limits)),
    clusters_omitted: Math.max(0, populated.length - limits.maxOutliers),
    servers: shownPage.map((r) => serverView(fresh(r), now, reach(r), book, isLeaf(r))),
    page: { number: page, size: pageSize, total_servers: totalServers, total_pages: totalPages },
    offline: gone.slice(0, limits.maxNames).map((r) => ({
      name: r.name,
      cluster: r.cluster,
      version: r.version,
      last_seen: iso(r.lastSeen),
      state: r.state,
    })),
    offline_omitted: Math.max(0, gone.length - limits.maxNames),
    warnings: allWarnings.slice(0, limits.maxNames),
    warnings_omitted: Math.max(0, allWarnings.length - limits.maxNames),
    visibility: visibilityView(visibility, limits),
    ...(security ? { security } : {}),
    ...(leaves ? { leaves } : {}),
    ...(options.inventory ? { inventory: inventoryOf(options.inventory, fleet, digests, summary, limits) } : {}),
  };
}

/** The inventory block: it reads every server in the filter, as an operator's inventory lists them all. */
function inventoryOf(inventory: Inventory, fleet: Fleet, digests: readonly ClusterDigest[], summary: VersionSummary, limits: ReportLimits): InventoryView {
  const live = digests.flatMap((d) => d.live.map(recordIn(fleet)));
  const known = digests.flatMap((d) => fleet.clusterRecords(d.cluster));
  return inventoryView(inventory, live, known, summary.outliers.map((o) => o.name), limits);
}
