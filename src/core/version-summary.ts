import { gradeGap, GapGrade, maxGap } from "./version-gap.js";
import { sliceMerged } from "./merge-sorted.js";
import type { Fleet } from "./fleet.js";
import type { ServerRecord } from "./server-record.js";
import { compareNames } from "./sorted-names.js";
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
  readonly name: string;
  /** Looked up when first read: a report of a large fleet reads a page of its outliers, not all. */
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

/**
 * Servers on one version, by name, sorted. Names, not records: a digest holds a bucket of every
 * live server, and records are the fleet's to hold (see Fleet); the few a summary needs (its
 * outliers) are looked up when it is made.
 */
export interface VersionBucket {
  readonly version: Version;
  readonly names: readonly string[];
}

/** A server's record by name, as the fleet holds it now. */
export type RecordOf = (name: string) => ServerRecord;

/** The records of a fleet by name, for names a digest lists (so, held by the fleet). */
export function recordIn(fleet: Pick<Fleet, "get">): RecordOf {
  return (name) => fleet.get(name)!;
}

/** The records given, by name. */
export function recordsByName(records: Iterable<ServerRecord>): RecordOf {
  const byName = new Map<string, ServerRecord>();
  for (const r of records) byName.set(r.name, r);
  return (name) => byName.get(name)!;
}

class NamedOutlier implements Outlier {
  #record: ServerRecord | undefined;

  constructor(
    readonly name: string,
    readonly recordOf: RecordOf,
    readonly version: Version,
    readonly gap: GapGrade,
    readonly direction: Direction,
  ) {}

  get record(): ServerRecord {
    return (this.#record ??= this.recordOf(this.name));
  }
}

/** Servers by version, each bucket sorted by name. */
export function bucketByVersion(records: Iterable<ServerRecord>): Map<string, VersionBucket> {
  const byVersion = new Map<string, { version: Version; names: string[] }>();
  for (const r of records) {
    let bucket = byVersion.get(r.version);
    // Stored versions were validated on the way in; a record cannot hold an unparseable one.
    if (!bucket) byVersion.set(r.version, (bucket = { version: parseVersion(r.version)!, names: [] }));
    bucket.names.push(r.name);
  }
  // Copied sorted to arrays of their size: a digest keeps them, and an array pushed to keeps room to spare.
  for (const b of byVersion.values()) b.names = b.names.sort(compareNames).slice();
  return byVersion;
}

/** The first `max` names of lists each sorted by name, in order. */
function firstNames(lists: readonly (readonly string[])[], max: number): string[] {
  return sliceMerged(lists, compareNames, 0, max);
}

/** The buckets of disjoint sets of servers (a system's clusters), merged by version. */
function mergeBuckets(parts: Iterable<ReadonlyMap<string, VersionBucket>>): Map<string, { version: Version; lists: (readonly string[])[]; count: number }> {
  const byVersion = new Map<string, { version: Version; lists: (readonly string[])[]; count: number }>();
  // forEach, not for-of: no entry array per bucket visited (33,000 clusters merged per rendering).
  const add = (b: VersionBucket, text: string) => {
    if (b.names.length === 0) return;
    const g = byVersion.get(text);
    if (g) {
      g.lists.push(b.names);
      g.count += b.names.length;
    } else byVersion.set(text, { version: b.version, lists: [b.names], count: b.names.length });
  };
  for (const part of parts) part.forEach(add);
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
export function summarizeBuckets(parts: Iterable<ReadonlyMap<string, VersionBucket>>, recordOf: RecordOf, maxNames = Infinity): VersionSummary {
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
    // Every outlier is named, so the lists are read whole: one sort of them all took a sixth of the
    // time a merge did (10,000 outliers in 1,000 clusters). Names sort by code unit, as compareNames does.
    const names = g.lists.length === 1 ? g.lists[0]! : g.lists.flat().sort();
    for (const name of names) outliers.push(new NamedOutlier(name, recordOf, g.version, grade, direction));
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
  const all = [...records];
  return summarizeBuckets([bucketByVersion(all)], recordsByName(all));
}
