import { ServerState, VersionChangeKind, type ServerRecord } from "./server-record.js";

/** A sign of an upgrade being carried out; described only when it is the one shown. */
export interface Activity {
  readonly at: number;
  readonly describe: () => string;
}

/** Where a JetStream domain first (and second) appears among a cluster's members, and how often. */
export interface DomainTally {
  readonly count: number;
  /** Positions in the cluster's member order, with the names there: a tie goes to the domain listed first. */
  readonly first: { readonly at: number; readonly name: string };
  readonly second?: { readonly at: number; readonly name: string };
}

export interface VersionFacts {
  /** The earliest start (or first sighting) of a member on this version. */
  readonly earliest: number;
  /** The latest restart of a member on this version. */
  readonly restart?: Activity;
}

/**
 * What classifying a scope needs of its members besides their versions, gathered in one pass and
 * mergeable: a system-wide classification adds up its clusters' facts instead of reading every
 * server again.
 */
export interface ScopeFacts {
  readonly versions: ReadonlyMap<string, VersionFacts>;
  /** The latest version change, lame duck or shutdown of any member. */
  readonly change?: Activity;
  /** Domain tallies by cluster. */
  readonly domains: ReadonlyMap<string, ReadonlyMap<string | undefined, DomainTally>>;
  /** Members whose latest version change was a downgrade (a rollback): usually none. */
  readonly rolledBack: readonly string[];
}

const later = (a: Activity | undefined, b: Activity | undefined): Activity | undefined => (!a ? b : !b ? a : b.at > a.at ? b : a);

/**
 * Descriptions close over the strings they need, never the record: a digest of every cluster keeps
 * its facts, and a description that held the record of the server it named kept that record alive
 * (~260 B a digest at the edge, by heap snapshot).
 */
function restartOf(r: ServerRecord): Activity {
  const { name, version } = r;
  return { at: r.startedAt!, describe: () => `${name} restarted on ${version}` };
}

/** The latest version change, lame duck or shutdown of one server, if any. */
function changeOf(r: ServerRecord): Activity | undefined {
  const last = r.history.at(-1);
  const name = r.name;
  let best: Activity | undefined;
  if (last && last.kind !== VersionChangeKind.FirstSeen) {
    const { from, version } = last;
    best = { at: last.at, describe: () => `${name} changed from ${from} to ${version}` };
  }
  if (r.state === ServerState.LameDuck) best = later(best, { at: r.stateSince, describe: () => `${name} entered lame duck mode` });
  if (r.state === ServerState.ShutDown) best = later(best, { at: r.stateSince, describe: () => `${name} shut down` });
  return best;
}

/** When a server last changed (version, lame duck, shutdown), without describing it. */
function changedAt(r: ServerRecord): number | undefined {
  const last = r.history.at(-1);
  const at = last && last.kind !== VersionChangeKind.FirstSeen ? last.at : undefined;
  const down = r.state === ServerState.LameDuck || r.state === ServerState.ShutDown ? r.stateSince : undefined;
  return at === undefined ? down : down === undefined ? at : Math.max(at, down);
}

/** The facts of these members, in this order (the order decides domain ties). */
export function factsOf(members: readonly ServerRecord[]): ScopeFacts {
  // Only the winners are described, and only once chosen: making a description (or even a closure)
  // for every member made this the costliest part of classifying a large scope.
  const versions = new Map<string, { earliest: number; restart?: ServerRecord }>();
  const domains = new Map<string, Map<string | undefined, { count: number; first: { at: number; name: string }; second?: { at: number; name: string } }>>();
  let change: { at: number; record: ServerRecord } | undefined;
  const rolledBack: string[] = [];
  members.forEach((r, i) => {
    if (r.history.at(-1)?.kind === VersionChangeKind.Downgrade) rolledBack.push(r.name);
    const start = Math.min(r.startedAt ?? r.versionSince, r.versionSince);
    const v = versions.get(r.version);
    if (!v) versions.set(r.version, { earliest: start, ...(r.startedAt !== undefined ? { restart: r } : {}) });
    else {
      v.earliest = Math.min(v.earliest, start);
      if (r.startedAt !== undefined && (v.restart === undefined || r.startedAt > v.restart.startedAt!)) v.restart = r;
    }
    const at = changedAt(r);
    if (at !== undefined && (!change || at > change.at)) change = { at, record: r };
    let tallies = domains.get(r.cluster);
    if (!tallies) domains.set(r.cluster, (tallies = new Map()));
    const t = tallies.get(r.domain);
    if (!t) tallies.set(r.domain, { count: 1, first: { at: i, name: r.name } });
    else {
      t.count++;
      t.second ??= { at: i, name: r.name };
    }
  });
  const facts = new Map<string, VersionFacts>();
  for (const [version, v] of versions) facts.set(version, { earliest: v.earliest, ...(v.restart ? { restart: restartOf(v.restart) } : {}) });
  const latest = change && changeOf(change.record);
  return { versions: facts, ...(latest ? { change: latest } : {}), domains, rolledBack };
}

/**
 * The facts of a scope made of parts that share no cluster (a system of clusters): versions and
 * activity merge, domain tallies are each cluster's own.
 */
export function mergeFacts(parts: readonly ScopeFacts[]): ScopeFacts {
  if (parts.length === 1) return parts[0]!;
  // Accumulated in place and visited with forEach: a system of 33,000 clusters merged on every
  // rendering, and an object per merge step and an entry array per Map entry visited made this
  // a fifth of a whole-system report at the edge.
  const merged = new Map<string, { earliest: number; restart: Activity | undefined }>();
  const domains = new Map<string, ReadonlyMap<string | undefined, DomainTally>>();
  const rolledBack: string[] = [];
  let change: Activity | undefined;
  const addVersion = (f: VersionFacts, version: string) => {
    const v = merged.get(version);
    if (!v) merged.set(version, { earliest: f.earliest, restart: f.restart });
    else {
      if (f.earliest < v.earliest) v.earliest = f.earliest;
      v.restart = later(v.restart, f.restart);
    }
  };
  const addDomains = (tallies: ReadonlyMap<string | undefined, DomainTally>, cluster: string) => void domains.set(cluster, tallies);
  for (const p of parts) {
    p.versions.forEach(addVersion);
    if (p.change) change = later(change, p.change);
    p.domains.forEach(addDomains);
    for (const name of p.rolledBack) rolledBack.push(name);
  }
  const versions = new Map<string, VersionFacts>();
  merged.forEach((v, version) => versions.set(version, v.restart ? { earliest: v.earliest, restart: v.restart } : { earliest: v.earliest }));
  return { versions, ...(change ? { change } : {}), domains, rolledBack };
}

/**
 * When a mismatch first seen now probably began: the moment its youngest version group appeared,
 * i.e. the latest of each group's earliest start. A group whose servers restarted since makes this
 * later than the truth, never earlier, so a long-standing mismatch is never called stale too soon.
 */
export function mismatchStartOf(facts: ScopeFacts, now: number): number {
  let start = -Infinity;
  for (const v of facts.versions.values()) start = Math.max(start, Math.min(v.earliest, now));
  return start;
}

/** The most recent sign of an upgrade being carried out: a restart on the newest version, a version change, a lame duck or a shutdown. */
export function latestActivity(facts: ScopeFacts, newest: string | undefined): { at: number; what: string } | undefined {
  const restart = newest !== undefined ? facts.versions.get(newest)?.restart : undefined;
  // On a tie the restart is named: it is the change the operator made.
  const best = restart && (!facts.change || restart.at >= facts.change.at) ? restart : facts.change;
  return best && { at: best.at, what: best.describe() };
}

/** The most common domain among a member's peers (itself aside); a tie goes to the domain a peer lists first. */
export function peersDomain(facts: ScopeFacts, r: ServerRecord): string | undefined {
  let best: { domain: string | undefined; count: number; first: number } | undefined;
  for (const [domain, t] of facts.domains.get(r.cluster) ?? []) {
    const own = domain === r.domain;
    const count = own ? t.count - 1 : t.count;
    if (count === 0) continue;
    const first = own && t.first.name === r.name ? t.second!.at : t.first.at;
    if (!best || count > best.count || (count === best.count && first < best.first)) best = { domain, count, first };
  }
  return best?.domain;
}
