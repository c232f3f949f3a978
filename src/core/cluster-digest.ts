import type { Fleet } from "./fleet.js";
import { ScopeRole } from "./mismatch-policy.js";
import { factsOf, type ScopeFacts } from "./scope-facts.js";
import { compareByName, ServerState, type ServerRecord } from "./server-record.js";
import { bucketByVersion, summarizeBuckets, type VersionBucket, type VersionSummary } from "./version-summary.js";

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
 * does: a report of the whole system reads its clusters' digests instead of every server. Records
 * in it carry the facts a report judges by; their last-seen time may lag, so views of a server
 * read the fleet's current record.
 */
export interface ClusterDigest {
  readonly cluster: string;
  /** Live servers, by name. */
  readonly live: readonly ServerRecord[];
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
   * and gateways. Only servers that list any are here.
   */
  readonly pointers: readonly { readonly name: string; readonly routes: readonly string[]; readonly gateways: readonly string[] }[];
  /** Servers of each version (and Go) among the live, for counting advisories without reading them all. */
  readonly builds: ReadonlyMap<string, { readonly version: string; readonly go: string | undefined; readonly count: number }>;
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
  const builds = new Map<string, { version: string; go: string | undefined; count: number }>();
  for (const r of live) {
    const key = `${r.version}\u0000${r.go ?? ""}`;
    const b = builds.get(key);
    if (b) b.count++;
    else builds.set(key, { version: r.version, go: r.go, count: 1 });
  }
  const expected = live.filter((r) => r.state !== ServerState.ShutDown).map((r) => r.name).sort();
  const within = new Set(expected);
  const pointers: { name: string; routes: string[]; gateways: string[] }[] = [];
  for (const name of expected) {
    const s = fleet.sighting(name);
    const routes = s ? [...s.routes].filter((n) => !within.has(n)) : [];
    if (s && (routes.length > 0 || s.gateways.size > 0)) pointers.push({ name, routes, gateways: [...s.gateways] });
  }
  return {
    cluster,
    live: live.sort(compareByName),
    offline,
    role: leaves.length > 0 ? ScopeRole.Leaf : ScopeRole.Hub,
    all,
    hub,
    leaf,
    summary: summarizeBuckets([all.buckets]),
    unnamed: live.filter((r) => r.name === r.id).map((r) => r.name),
    expected,
    pointers,
    builds,
    at: now,
    until,
  };
}
