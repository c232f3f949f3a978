import type { Version } from "./version.js";

/**
 * How far a server's version is from the target. NATS versions its releases 2.MINOR.PATCH, and
 * operators call 2.9 -> 2.10 a "major" upgrade; here it is graded `minor` after the semver field
 * that changed, and the report explains the grade with `risk`.
 */
export const GapGrade = {
  None: "none",
  /** Same version, different build metadata. */
  Build: "build",
  /** Same release line, pre-release difference (2.11.0-RC.1 vs 2.11.0). */
  Prerelease: "prerelease",
  /** 2.10.22 vs 2.10.24: bug fixes, full wire compatibility, low risk. */
  Patch: "patch",
  /** 2.9.x vs 2.10.x: NATS' "major" step, protocol and feature changes. */
  Minor: "minor",
  /** 1.x vs 2.x. */
  Major: "major",
} as const;
export type GapGrade = (typeof GapGrade)[keyof typeof GapGrade];

const severity: Record<GapGrade, number> = { none: 0, build: 1, prerelease: 2, patch: 3, minor: 4, major: 5 };

/**
 * Grades the gap between `version` and `target` by the first release field that differs. This is
 * deliberately not semver.diff, which calls 2.11.0-RC.1 vs 2.11.0 a minor step; for an operator
 * that is the same release line.
 */
export function gradeGap(target: Version, version: Version): GapGrade {
  const a = target.semver;
  const b = version.semver;
  if (a.major !== b.major) return GapGrade.Major;
  if (a.minor !== b.minor) return GapGrade.Minor;
  if (a.patch !== b.patch) return GapGrade.Patch;
  if (a.prerelease.join(".") !== b.prerelease.join(".")) return GapGrade.Prerelease;
  return target.text === version.text ? GapGrade.None : GapGrade.Build;
}

/** The larger of two grades; `none` is the identity. */
export function maxGap(a: GapGrade, b: GapGrade): GapGrade {
  return severity[a] >= severity[b] ? a : b;
}

/** What a grade means for an operator, in one phrase. */
export const gapRisk: Record<GapGrade, string> = {
  none: "no gap",
  build: "same version, different build",
  prerelease: "pre-release and release of the same version",
  patch: "low risk: bug fixes with full wire compatibility",
  minor: "higher risk: a NATS major step (2.x -> 2.y), protocol and feature changes",
  major: "highest risk: different major versions",
};
