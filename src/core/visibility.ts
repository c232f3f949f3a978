import type { Fleet } from "./fleet.js";
import { digestsOf } from "./scope-analysis.js";
import type { ClusterDigest } from "./cluster-digest.js";
import type { PingRound } from "./ping-rounds.js";
import { ServerState } from "./server-record.js";

/** What the monitor can see, against what the servers say exists. Pure. */
export interface Visibility {
  readonly lastPing: { readonly at: number; readonly answered: number } | undefined;
  /** Known servers still expected to answer, plus every server a live server lists as a route. */
  readonly expectedServers: number;
  /** Clusters of live servers, plus every cluster a live server has a gateway to. */
  readonly expectedClusters: number;
  /** Expected servers that did not answer the last ping, by name. */
  readonly notAnswering: readonly string[];
  /** Clusters a gateway points to of which no server was ever heard. */
  readonly unseenClusters: readonly string[];
  readonly unreachable: ReadonlyMap<string, number>;
}

/** The figures `nats micro stats` shows of it (snake_case, names bounded). */
export interface VisibilityFigures {
  readonly last_ping_answered: number | null;
  readonly expected_servers: number;
  readonly expected_clusters: number;
  readonly not_answering: readonly string[];
  readonly unreachable: readonly string[];
}

export function visibilityFigures(v: Visibility, maxNames = 20): VisibilityFigures {
  return {
    last_ping_answered: v.lastPing?.answered ?? null,
    expected_servers: v.expectedServers,
    expected_clusters: v.expectedClusters,
    not_answering: v.notAnswering.slice(0, maxNames),
    unreachable: [...v.unreachable.keys()].slice(0, maxNames),
  };
}

export function assessVisibility(fleet: Fleet, lastPing: PingRound | undefined, unreachable: ReadonlyMap<string, number>, now: number): Visibility {
  let expected = 0;
  const clusters = new Set<string>();
  const gatewayClusters = new Set<string>();
  // Routes to servers beyond their own cluster's expected ones: counted once, if not expected elsewhere.
  const beyond = new Set<string>();
  const digests = digestsOf(fleet, now);
  const isExpected = (name: string) => {
    const r = fleet.get(name);
    return r !== undefined && r.state !== ServerState.ShutDown && fleet.isLive(r, now);
  };
  for (const d of digests) {
    if (d.expected.length === 0) continue;
    expected += d.expected.length;
    clusters.add(d.cluster);
    for (const p of d.pointers) {
      if (p.names.every((n) => unreachable.has(n))) continue;
      for (const n of p.routes) if (!isExpected(n)) beyond.add(n);
      for (const g of p.gateways) gatewayClusters.add(g);
    }
  }
  const unseenClusters = [...gatewayClusters].filter((c) => !clusters.has(c)).sort();
  for (const c of gatewayClusters) clusters.add(c);
  return {
    lastPing: lastPing ? { at: lastPing.at, answered: lastPing.answered.size } : undefined,
    expectedServers: expected + beyond.size,
    expectedClusters: clusters.size,
    notAnswering: lastPing ? notAnswering(fleet, lastPing, digests, [...beyond]) : [],
    unseenClusters,
    unreachable,
  };
}

/**
 * A cluster's servers that had not answered a round when last asked: within a round answers only
 * arrive, so the next look reads these few instead of every server. Held per digest (a changed
 * cluster is a new digest) and per round.
 */
const silentOf = new WeakMap<object, { round: string; names: string[] }>();

/** Expected servers that did not answer the ping; one heard from since is up, whatever happened to its answer. */
function notAnswering(fleet: Fleet, ping: PingRound, digests: readonly ClusterDigest[], beyond: readonly string[]): string[] {
  const round = `${ping.id}@${ping.at}`;
  const silent = (names: readonly string[]) => names.filter((n) => !ping.answered.has(n) && !((fleet.lastSeen(n) ?? 0) > ping.at));
  const out: string[] = silent(beyond);
  for (const d of digests) {
    const held = silentOf.get(d);
    const names = silent(held?.round === round ? held.names : d.expected);
    silentOf.set(d, { round, names });
    out.push(...names);
  }
  return out.sort();
}
