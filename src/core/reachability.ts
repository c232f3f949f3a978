import type { Fleet } from "./fleet.js";
import type { ClusterDigest } from "./cluster-digest.js";
import { digestsOf } from "./scope-analysis.js";
import { ServerState, type ServerRecord } from "./server-record.js";
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

/** How often a server sends STATSZ on its own: every 30 s before 2.10, every 10 s since (server/events.go). */
export function advertisementIntervalMs(version: string): number {
  const v = parseVersion(version);
  return v && compareVersions(v, V2_10) < 0 ? 30_000 : 10_000;
}

/**
 * A cluster's servers that should be answering: running and not yet past --offline-after, as they
 * are now. One in lame duck mode is on its way out; its silence is expected, and often its
 * SHUTDOWN never arrives.
 */
function watched(fleet: Fleet, d: ClusterDigest): ServerRecord[] {
  const out: ServerRecord[] = [];
  for (const name of d.live) {
    const r = fleet.get(name)!;
    if (r.state === ServerState.Running) out.push(r);
  }
  return out;
}

/** The member heard from last by STATSZ, and when. */
function latestSighting(fleet: Fleet, members: readonly ServerRecord[]): { name: string; at: number } | undefined {
  let latest: { name: string; at: number } | undefined;
  for (const m of members) {
    const at = fleet.sighting(m.name)?.at;
    if (at !== undefined && (!latest || at > latest.at)) latest = { name: m.name, at };
  }
  return latest;
}

/** Whether a peer heard after `since` no longer lists `r` among its routes. */
function droppedByPeer(fleet: Fleet, r: ServerRecord, peers: readonly ServerRecord[], since: number, latest: { name: string; at: number } | undefined): boolean {
  // Nobody heard after `since` (the server itself is never heard after its own last-seen): nobody
  // can have dropped it since. Answered without looking at every peer, which made this check
  // quadratic in a cluster's size.
  if (!latest || latest.name === r.name || latest.at <= since) return false;
  return peers.some((p) => {
    const s = p !== r ? fleet.sighting(p.name) : undefined;
    return s !== undefined && s.at > since && !listsName(s.routes, r.name);
  });
}

/** When a member would be overdue, at the earliest (its last-seen only moves later). */
const dueAt = (r: ServerRecord) => r.lastSeen + advertisementIntervalMs(r.version) + ReachabilityTiming.silenceSlackMs;

/** Every member's latest STATSZ lists every other member as a route. */
function fullyRouted(fleet: Fleet, members: readonly ServerRecord[]): boolean {
  for (const p of members) {
    const s = fleet.sighting(p.name);
    if (!s) return false;
    for (const r of members) if (r !== p && !listsName(s.routes, r.name)) return false;
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
    const sighted = latestSighting(fleet, members);
    if (members.some((r) => now > dueAt(r) || droppedByPeer(fleet, r, members, r.lastSeen, sighted))) out.push(cluster);
    else if (fullyRouted(fleet, members)) {
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
    const unlisted = new Map<string, ServerRecord>();
    for (const r of members) if (r.lastSeen < probed) unlisted.set(r.name, r);
    for (const p of members) {
      if (unlisted.size === 0) break;
      const s = fleet.sighting(p.name);
      if (s === undefined || s.at < probed) continue;
      for (const name of s.routes) if (name !== p.name) unlisted.delete(name);
    }
    for (const r of unlisted.values()) out.set(r.name, r.lastSeen);
  }
  return out;
}
