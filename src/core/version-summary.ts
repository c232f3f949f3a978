import { gradeGap, GapGrade, maxGap } from "./version-gap.js";
import { mergeSorted, sliceMerged } from "./merge-sorted.js";
import { compareByName, type ServerRecord } from "./server-record.js";
import { compareVersions, parseVersion, type Version } from "./version.js";

export interface VersionGroup {
  readonly version: string;
  readonly count: number;
  /** Names, sorted: all of them, or the first ones where the summary was asked to bound them. */
  readonly servers: readonly string[];
}

export const Direction = { Older: "older", Newer: "newer", Same: "same" } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

export interface Outlier {
  readonly record: ServerRecord;
  /** The record's version, parsed. */
  readonly version: Version;
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

/** Servers on one version, sorted by name. */
export interface VersionBucket {
  readonly version: Version;
  readonly records: readonly ServerRecord[];
}

/** Servers by version, each bucket sorted by name. */
export function bucketByVersion(records: Iterable<ServerRecord>): Map<string, VersionBucket> {
  const byVersion = new Map<string, { version: Version; records: ServerRecord[] }>();
  for (const r of records) {
    let bucket = byVersion.get(r.version);
    // Stored versions were validated on the way in; a record cannot hold an unparseable one.
    if (!bucket) byVersion.set(r.version, (bucket = { version: parseVersion(r.version)!, records: [] }));
    bucket.records.push(r);
  }
  for (const b of byVersion.values()) b.records.sort(compareByName);
  return byVersion;
}

/** The first `max` names of lists each sorted by name, in order. */
function firstNames(lists: readonly (readonly ServerRecord[])[], max: number): string[] {
  return sliceMerged(lists, compareByName, 0, max).map((r) => r.name);
}

/** The buckets of disjoint sets of servers (a system's clusters), merged by version. */
function mergeBuckets(parts: Iterable<ReadonlyMap<string, VersionBucket>>): Map<string, { version: Version; lists: (readonly ServerRecord[])[]; count: number }> {
  const byVersion = new Map<string, { version: Version; lists: (readonly ServerRecord[])[]; count: number }>();
  for (const part of parts) {
    for (const [text, b] of part) {
      if (b.records.length === 0) continue;
      const g = byVersion.get(text);
      if (g) {
        g.lists.push(b.records);
        g.count += b.records.length;
      } else byVersion.set(text, { version: b.version, lists: [b.records], count: b.records.length });
    }
  }
  return byVersion;
}

/** The majority version of these buckets (see pickTarget), without summarizing them. */
export function targetOf(parts: Iterable<ReadonlyMap<string, VersionBucket>>): string | undefined {
  return pickTarget([...mergeBuckets(parts).values()])?.text;
}

/**
 * Groups servers by version, picks the target and grades every outlier's gap, from buckets of
 * disjoint sets of servers (a system's clusters). `maxNames` bounds each group's names: merging
 * them all would cost more than everything else a large fleet's report does.
 */
export function summarizeBuckets(parts: Iterable<ReadonlyMap<string, VersionBucket>>, maxNames = Infinity): VersionSummary {
  const byVersion = mergeBuckets(parts);
  const all = [...byVersion.values()];
  const target = pickTarget(all);
  all.sort((a, b) => compareVersions(b.version, a.version));

  const outliers: Outlier[] = [];
  let gap: GapGrade = GapGrade.None;
  for (const g of [...all].reverse()) {
    if (!target || g.version.text === target.text) continue;
    const grade = gradeGap(target, g.version);
    const direction = directionOf(g.version, target);
    gap = maxGap(gap, grade);
    const records = g.lists.length === 1 ? g.lists[0]! : [...mergeSorted(g.lists, compareByName)];
    for (const record of records) outliers.push({ record, version: g.version, gap: grade, direction });
  }
  return {
    target: target?.text,
    consistent: all.length <= 1,
    gap,
    groups: all.map((g) => ({ version: g.version.text, count: g.count, servers: firstNames(g.lists, maxNames) })),
    outliers,
  };
}

/** Groups servers by version, picks the target and grades every outlier's gap. */
export function summarizeVersions(records: Iterable<ServerRecord>): VersionSummary {
  return summarizeBuckets([bucketByVersion(records)]);
}
