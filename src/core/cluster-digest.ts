import type { Fleet } from "./fleet.js";
import { ScopeRole } from "./mismatch-policy.js";
import { factsOf, type ScopeFacts } from "./scope-facts.js";
import { compareByName, ServerState, type ServerRecord } from "./server-record.js";
import { NO_NAMES, type SortedNames } from "./sorted-names.js";
import { bucketByVersion, recordIn, summarizeBuckets, type VersionBucket, type VersionSummary } from "./version-summary.js";

/** Some servers of one cluster, digested for the scopes they belong to. */
export interface ScopePart {
  readonly count: number;
  readonly buckets: ReadonlyMap<string, VersionBucket>;
  readonly facts: ScopeFacts;
}

export function partOf(members: readonly ServerRecord[]): ScopePart {
  return { count: members.length, buckets: bucketByVersion(members), facts: factsOf(members) };
}

const NO_PART: ScopePart = partOf([]);

/**
 * One cluster as of a moment, with everything about it that only changes when one of its servers
 * does: a report of the whole system reads its clusters' digests instead of every server. It
 * names servers and holds what was worked out from their records (facts, summary); the few
 * records its summary keeps (an outlier's, once read) may lag, so views of a server read the
 * fleet's current record.
 */
export interface ClusterDigest {
  readonly cluster: string;
  /**
   * Live servers' names, sorted. Names, not records: a digest of every cluster is kept, and the
   * records are the fleet's to hold (`fleet.get`), as they are now.
   */
  readonly live: readonly string[];
  /** Servers past the offline window, by name. */
  readonly offline: readonly string[];
  readonly role: ScopeRole;
  /** Every live server; `hub` and `leaf` split them (the system scope judges only the hub's). */
  readonly all: ScopePart;
  readonly hub: ScopePart;
  readonly leaf: ScopePart;
  /** The cluster scope's summary. */
  readonly summary: VersionSummary;
  /** Live servers without a configured server_name. */
  readonly unnamed: readonly string[];
  /** Live servers not shut down: the ones expected to answer, by name. */
  readonly expected: readonly string[];
  /**
   * What expected servers' latest STATSZ point to beyond them: routes to servers that are not,
   * and gateways. Only servers that list any are here, those that list the same together (a
   * cluster's servers all list the same gateways).
   */
  readonly pointers: readonly { readonly names: readonly string[]; readonly routes: SortedNames; readonly gateways: SortedNames }[];
  /** Servers of each version (and Go) among the live, for counting advisories without reading them all. */
  readonly builds: readonly { readonly version: string; readonly go: string | undefined; readonly count: number }[];
  /** Valid from `at` until `until` (then a live server may have gone past the offline window), unless the cluster changes. */
  readonly at: number;
  readonly until: number;
}

/** The digest of one cluster's servers as of `now`. */
export function digestCluster(fleet: Fleet, cluster: string, now: number): ClusterDigest {
  const live: ServerRecord[] = [];
  const offline: string[] = [];
  let until = Infinity;
  for (const r of fleet.clusterRecords(cluster)) {
    if (fleet.isLive(r, now)) {
      live.push(r);
      until = Math.min(until, r.lastSeen + fleet.policy.offlineAfterMs);
    } else offline.push(r.name);
  }
  // Facts are gathered in the fleet's order (domain ties go to the server listed first), buckets by name.
  const all = partOf(live);
  const leaves = live.filter((r) => fleet.isLeaf(r));
  const hub = leaves.length === 0 ? all : leaves.length === live.length ? NO_PART : partOf(live.filter((r) => !fleet.isLeaf(r)));
  const leaf = leaves.length === 0 ? NO_PART : leaves.length === live.length ? all : partOf(leaves);
  live.sort(compareByName);
  // Servers by version, then Go: nested maps, no key built per server.
  const byBuild = new Map<string, Map<string | undefined, number>>();
  const expected: string[] = [];
  for (const r of live) {
    let gos = byBuild.get(r.version);
    if (!gos) byBuild.set(r.version, (gos = new Map()));
    gos.set(r.go, (gos.get(r.go) ?? 0) + 1);
    if (r.state !== ServerState.ShutDown) expected.push(r.name);
  }
  // An array of its size, not a Map by a key made per build: a digest of every cluster is kept, and a Map's table took ~190 B of each.
  const builds: { version: string; go: string | undefined; count: number }[] = [];
  for (const [version, gos] of byBuild) for (const [go, count] of gos) builds.push({ version, go, count });
  const liveNames = live.map((r) => r.name);
  // Usually every live server is expected: then one array serves both (an array pushed to keeps room to spare).
  const expectedNames = expected.length === live.length ? liveNames : expected.slice();
  const within = new Set(expected);
  // By list, not by server: lists are shared (see SortedNamesPool), so a cluster's servers that
  // point to the same names make one entry. Its names are copied to an array of their size: one
  // grown by pushing keeps up to half again as much room.
  const pointing = new Map<SortedNames, Map<SortedNames, string[]>>();
  for (const name of expected) {
    const s = fleet.sighting(name);
    if (!s) continue;
    const routes = beyond(s.routes, within);
    if (routes.length === 0 && s.gateways.length === 0) continue;
    let byGateways = pointing.get(routes);
    if (!byGateways) pointing.set(routes, (byGateways = new Map()));
    const names = byGateways.get(s.gateways);
    if (names) names.push(name);
    else byGateways.set(s.gateways, [name]);
  }
  const pointers: { names: string[]; routes: SortedNames; gateways: SortedNames }[] = [];
  for (const [routes, byGateways] of pointing) for (const [gateways, names] of byGateways) pointers.push({ names: names.slice(), routes, gateways });
  return {
    cluster,
    live: liveNames,
    offline,
    role: leaves.length > 0 ? ScopeRole.Leaf : ScopeRole.Hub,
    all,
    hub,
    leaf,
    // Outliers are looked up in the fleet when read: a lookup in this cluster's records would keep them all.
    summary: summarizeBuckets([all.buckets], recordIn(fleet)),
    unnamed: live.filter((r) => r.name === r.id).map((r) => r.name),
    expected: expectedNames,
    pointers,
    builds: builds.slice(),
    at: now,
    until,
  };
}

/**
 * The names of a sorted list that are not in `within`. A digest holds one such list per server
 * that points beyond its cluster, so it shares the server's own list when every name is beyond
 * (the usual case: a list of gateways, or routes to another cluster), and is never a pushed-to
 * array, which V8 sizes for 17 names: at 100,000 servers those were a sixth of the worker's heap.
 */
function beyond(names: SortedNames, within: ReadonlySet<string>): SortedNames {
  let kept = 0;
  for (const n of names) if (!within.has(n)) kept++;
  if (kept === names.length) return names;
  if (kept === 0) return NO_NAMES;
  const out = new Array<string>(kept);
  let i = 0;
  for (const n of names) if (!within.has(n)) out[i++] = n;
  return out;
}
