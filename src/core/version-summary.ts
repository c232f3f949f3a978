import { gradeGap, GapGrade, maxGap } from "./version-gap.js";
import { compareByName, type ServerRecord } from "./server-record.js";
import { compareVersions, parseVersion, type Version } from "./version.js";

export interface VersionGroup {
  readonly version: string;
  readonly count: number;
  /** Names, sorted. */
  readonly servers: readonly string[];
}

export const Direction = { Older: "older", Newer: "newer", Same: "same" } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

export interface Outlier {
  readonly record: ServerRecord;
  readonly gap: GapGrade;
  /** Relative to the target. */
  readonly direction: Direction;
}

export interface VersionSummary {
  /** The majority version; undefined when there are no servers. */
  readonly target: string | undefined;
  readonly consistent: boolean;
  /** The largest gap of any outlier. */
  readonly gap: GapGrade;
  /** Newest version first. */
  readonly groups: readonly VersionGroup[];
  /** Oldest version first, then by name: the servers furthest behind lead the list. */
  readonly outliers: readonly Outlier[];
}

/**
 * The target version is the one most servers run. A tie goes to the newest of the tied versions:
 * half-way through a rolling upgrade the way forward is to finish it, not to roll back.
 */
export function pickTarget(groups: readonly { version: Version; count: number }[]): Version | undefined {
  let best: { version: Version; count: number } | undefined;
  for (const g of groups) {
    if (!best || g.count > best.count || (g.count === best.count && compareVersions(g.version, best.version) > 0)) best = g;
  }
  return best?.version;
}

/** Where a version stands against the target. */
export function directionOf(version: Version, target: Version): Direction {
  const cmp = compareVersions(version, target);
  return cmp < 0 ? Direction.Older : cmp > 0 ? Direction.Newer : Direction.Same;
}

/** Groups servers by version, picks the target and grades every outlier's gap. */
export function summarizeVersions(records: Iterable<ServerRecord>): VersionSummary {
  const byVersion = new Map<string, { version: Version; members: ServerRecord[] }>();
  for (const r of records) {
    let group = byVersion.get(r.version);
    if (!group) {
      // Stored versions were validated on the way in; a record cannot hold an unparseable one.
      byVersion.set(r.version, (group = { version: parseVersion(r.version)!, members: [] }));
    }
    group.members.push(r);
  }
  const all = [...byVersion.values()];
  const target = pickTarget(all.map((g) => ({ version: g.version, count: g.members.length })));
  all.sort((a, b) => compareVersions(b.version, a.version));
  for (const g of all) g.members.sort(compareByName);

  const outliers: Outlier[] = [];
  let gap: GapGrade = GapGrade.None;
  for (const g of [...all].reverse()) {
    if (!target || g.version.text === target.text) continue;
    const grade = gradeGap(target, g.version);
    const direction = directionOf(g.version, target);
    gap = maxGap(gap, grade);
    for (const record of g.members) outliers.push({ record, gap: grade, direction });
  }
  return {
    target: target?.text,
    consistent: all.length <= 1,
    gap,
    groups: all.map((g) => ({ version: g.version.text, count: g.members.length, servers: g.members.map((r) => r.name) })),
    outliers,
  };
}
