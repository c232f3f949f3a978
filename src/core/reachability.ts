import type { Fleet } from "./fleet.js";
import type { ClusterDigest } from "./cluster-digest.js";
import { digestsOf } from "./scope-analysis.js";
import { ServerState } from "./server-record.js";
import type { ReachFacts } from "./server-table.js";
import { compareVersions, parseVersion } from "./version.js";
import { listsName } from "./sorted-names.js";

/**
 * Telling a dead server from a quiet one, without waiting for --offline-after: a server killed
 * with SIGKILL sends no SHUTDOWN, but its peers drop their routes to it at once and list the rest
 * in their next STATSZ. The monitor asks a cluster for fresh STATSZ when one of its servers is
 * quieter than it should be, or a peer stopped listing it; a server that does not answer and that
 * no answering peer lists as a route is unreachable. Pure: times come in as arguments.
 */
export const ReachabilityTiming = {
  /** A live server's answer to a probe arrives well within this. */
  answerGraceMs: 1000,
  /** Beyond its advertisement interval, how late a STATSZ may be before the cluster is probed. */
  silenceSlackMs: 1000,
  /** A cluster is probed again at most this often while a suspect stays silent. */
  reprobeMs: 5000,
} as const;

const V2_10 = parseVersion("2.10.0")!;

/** Intervals by version string: the probe check asks for every member's twice a second, and a fleet runs few versions. */
const intervals = new Map<string, number>();

/** How often a server sends STATSZ on its own: every 30 s before 2.10, every 10 s since (server/events.go). */
export function advertisementIntervalMs(version: string): number {
  let interval = intervals.get(version);
  if (interval === undefined) {
    const v = parseVersion(version);
    interval = v && compareVersions(v, V2_10) < 0 ? 30_000 : 10_000;
    if (intervals.size >= 1024) intervals.clear();
    intervals.set(version, interval);
  }
  return interval;
}

/**
 * A cluster's servers that should be answering: running and not yet past --offline-after, as they
 * are now. One in lame duck mode is on its way out; its silence is expected, and often its
 * SHUTDOWN never arrives. Read once per check: the helpers below never look a server up again
 * (at 100,000 servers, looking up each peer's sighting for each member took most of a check).
 */
function watched(fleet: Fleet, d: ClusterDigest): ReachFacts[] {
  const out: ReachFacts[] = [];
  for (const name of d.live) {
    const m = fleet.reachFacts(name)!;
    if (m.state === ServerState.Running) out.push(m);
  }
  return out;
}

/** The member heard from last by STATSZ. */
function latestSighting(members: readonly ReachFacts[]): ReachFacts | undefined {
  let latest: ReachFacts | undefined;
  for (const m of members) if (m.sightedAt !== undefined && (!latest || m.sightedAt > latest.sightedAt!)) latest = m;
  return latest;
}

/** Whether a peer heard after `r` was last seen no longer lists it among its routes. */
function droppedByPeer(r: ReachFacts, peers: readonly ReachFacts[], latest: ReachFacts | undefined): boolean {
  // Nobody heard after r (the server itself is never heard after its own last-seen): nobody can
  // have dropped it since. Answered without looking at every peer, which made this check
  // quadratic in a cluster's size.
  if (!latest || latest === r || latest.sightedAt! <= r.lastSeen) return false;
  return peers.some((p) => p !== r && p.sightedAt !== undefined && p.sightedAt > r.lastSeen && !listsName(p.routes, r.name));
}

/** When a member would be overdue, at the earliest (its last-seen only moves later). */
const dueAt = (m: ReachFacts) => m.lastSeen + advertisementIntervalMs(m.version) + ReachabilityTiming.silenceSlackMs;

/** Every member's latest STATSZ lists every other member as a route. */
function fullyRouted(members: readonly ReachFacts[]): boolean {
  for (const p of members) {
    if (p.sightedAt === undefined) return false;
    for (const r of members) if (r !== p && !listsName(p.routes, r.name)) return false;
  }
  return true;
}

/**
 * Digests of clusters found quiet, with the instant until which nothing can change that without
 * a new digest: no member is due before it, and every member lists every other, so a peer can stop
 * listing one only by changing its routes, which makes a new digest. At 100,000 servers the check
 * read every server twice a second; now it reads a cluster once per advertisement interval.
 */
const quietUntil = new WeakMap<ClusterDigest, number>();

/** Clusters to ask for fresh STATSZ now: one of their servers is overdue or no longer routed to. */
export function clustersToProbe(fleet: Fleet, now: number): string[] {
  const out: string[] = [];
  for (const d of digestsOf(fleet, now)) {
    const cluster = d.cluster;
    const latest = fleet.probes(cluster)?.latest;
    if (latest !== undefined && now - latest < ReachabilityTiming.reprobeMs) continue;
    if (now < (quietUntil.get(d) ?? -Infinity)) continue;
    const members = watched(fleet, d);
    if (members.length === 0) continue;
    const sighted = latestSighting(members);
    if (members.some((r) => now > dueAt(r) || droppedByPeer(r, members, sighted))) out.push(cluster);
    else if (fullyRouted(members)) {
      let until = Infinity;
      for (const r of members) until = Math.min(until, dueAt(r));
      quietUntil.set(d, until);
    }
  }
  return out;
}

/** The latest probe of a cluster whose answers have had time to arrive. */
function settledProbe(fleet: Fleet, cluster: string, now: number): number | undefined {
  const p = fleet.probes(cluster);
  if (!p) return undefined;
  return now - p.latest >= ReachabilityTiming.answerGraceMs ? p.latest : p.previous;
}

/**
 * Servers that did not answer a probe of their cluster, sent after they were last heard, and that
 * none of the peers that did answer lists as a route; each with when it was last heard from.
 * `probesDelivered` is false while the server refuses the monitor's pings: silence then proves nothing.
 */
export function unreachableServers(fleet: Fleet, now: number, probesDelivered = true): Map<string, number> {
  const out = new Map<string, number>();
  if (!probesDelivered) return out;
  // Only a probed cluster can have an unreachable server.
  for (const cluster of [...fleet.probedClusters()].sort()) {
    const probed = settledProbe(fleet, cluster, now);
    if (probed === undefined) continue;
    const d = fleet.digest(cluster, now);
    if (!d) continue;
    const members = watched(fleet, d);
    // One pass over the route lists of the members that answered, not one per silent member: a
    // cluster whose servers all stay silent (or list no one) cost members² before.
    const unlisted = new Map<string, ReachFacts>();
    for (const r of members) if (r.lastSeen < probed) unlisted.set(r.name, r);
    for (const p of members) {
      if (unlisted.size === 0) break;
      if (p.sightedAt === undefined || p.sightedAt < probed) continue;
      for (const name of p.routes) if (name !== p.name) unlisted.delete(name);
    }
    for (const r of unlisted.values()) out.set(r.name, r.lastSeen);
  }
  return out;
}
