import type { Fleet } from "./fleet.js";
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
  const expected = new Set<string>();
  const clusters = new Set<string>();
  const gatewayClusters = new Set<string>();
  for (const r of fleet.records()) {
    if (r.state === ServerState.ShutDown || !fleet.isLive(r, now)) continue;
    expected.add(r.name);
    clusters.add(r.cluster);
    const s = fleet.sighting(r.name);
    if (!s || unreachable.has(r.name)) continue;
    for (const n of s.routes) expected.add(n);
    for (const g of s.gateways) gatewayClusters.add(g);
  }
  const unseenClusters = [...gatewayClusters].filter((c) => !clusters.has(c)).sort();
  for (const c of gatewayClusters) clusters.add(c);
  return {
    lastPing: lastPing ? { at: lastPing.at, answered: lastPing.answered.size } : undefined,
    expectedServers: expected.size,
    expectedClusters: clusters.size,
    // A server heard from since the ping is up, whatever happened to its answer.
    notAnswering: lastPing ? [...expected].filter((n) => !lastPing.answered.has(n) && !((fleet.get(n)?.lastSeen ?? 0) > lastPing.at)).sort() : [],
    unseenClusters,
    unreachable,
  };
}
