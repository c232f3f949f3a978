import type { Fleet } from "./fleet.js";
import type { ServerRecord } from "./server-record.js";
import { gradeGap, type GapGrade } from "./version-gap.js";
import { directionOf, type Direction } from "./version-summary.js";
import { compareVersions, parseVersion } from "./version.js";

/** A leaf a hub lists by name, whose server never advertised to the system account. */
export interface UnknownLeafView {
  readonly name: string;
  readonly version: "unknown";
  /** The hub server it is connected to, and the hub accounts its connections are bound to. */
  readonly hub: string;
  readonly accounts: readonly string[];
  readonly action: string;
}

/** Leaf nodes: what the hub's $SYS shows of them, their versions against the hub's, and the ones it cannot see. */
export interface LeavesView {
  /** Live leaf servers seen through the system account. */
  readonly servers: number;
  /** Leaf scopes (a leaf cluster, or a standalone leaf under its own name), each judged on its own in `clusters`. */
  readonly clusters: readonly string[];
  readonly hub_target: string | null;
  /** The leaf servers' versions against the hub's target, newest first. */
  readonly versions: readonly { readonly version: string; readonly count: number; readonly gap: GapGrade | null; readonly direction: Direction | null }[];
  readonly unknown: readonly UnknownLeafView[];
  readonly unknown_omitted: number;
  /** Leaf connections a hub lists without a name (hubs before 2.10 send none): leaves that cannot even be named. */
  readonly unnamed_connections: number;
}

export function unknownLeafAction(name: string): string {
  return `its version is unknown: ${name} links only an application account to the hub; add a leafnode remote bound to its system account (remotes: [{ urls: [...], account: SYS }] with a system-account user of the hub), on every server of its cluster, so that it advertises to the hub's $SYS`;
}

/**
 * The leaves block of a report, or undefined when there are no leaves at all. `leaves` are the
 * live leaf servers in the report's filter; listed-but-unseen leaves come from the hubs' LEAFZ.
 */
export function leavesView(fleet: Fleet, leaves: readonly ServerRecord[], targetOfHub: () => string | undefined, now: number, maxNames: number): LeavesView | undefined {
  const listed = fleet.listedLeaves(now);
  const unknown = listed.named.filter((l) => fleet.get(l.name) === undefined);
  if (leaves.length === 0 && unknown.length === 0 && listed.unnamed === 0) return undefined;
  const hubTarget = targetOfHub();
  const target = hubTarget !== undefined ? parseVersion(hubTarget) : undefined;
  const counts = new Map<string, number>();
  for (const r of leaves) counts.set(r.version, (counts.get(r.version) ?? 0) + 1);
  const versions = [...counts]
    .map(([version, count]) => ({ version, count, parsed: parseVersion(version)! }))
    .sort((a, b) => compareVersions(b.parsed, a.parsed))
    .map(({ version, count, parsed }) => ({
      version,
      count,
      gap: target ? gradeGap(target, parsed) : null,
      direction: target ? directionOf(parsed, target) : null,
    }));
  const clusters = [...new Set(leaves.map((r) => r.cluster))].sort();
  return {
    servers: leaves.length,
    clusters: clusters.slice(0, maxNames),
    hub_target: hubTarget ?? null,
    versions,
    unknown: unknown.slice(0, maxNames).map((l) => ({ name: l.name, version: "unknown" as const, hub: l.hub, accounts: l.accounts, action: unknownLeafAction(l.name) })),
    unknown_omitted: Math.max(0, unknown.length - maxNames),
    unnamed_connections: listed.unnamed,
  };
}
