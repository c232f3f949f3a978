import { MINOR_RELEASES, type MinorRelease } from "./releases.js";
import { compareVersions, parseVersion } from "./version.js";

const minorOf = (v: { semver: { major: number; minor: number } }) => `${v.semver.major}.${v.semver.minor}`;
const minorRank = (minor: string) => {
  const [major, m] = minor.split(".").map(Number);
  return major! * 1000 + m!;
};

/**
 * The versions to roll a cluster to, in turn, to get from `from` to `to` ("always upgrade
 * incrementally"): the newest patch of every released minor in between, then `to`; each step a
 * full rolling pass. A patch-only gap is one step; no path leads backwards.
 */
export function upgradePath(from: string, to: string, releases: readonly MinorRelease[] = MINOR_RELEASES): string[] {
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (!a || !b || compareVersions(a, b) >= 0) return [];
  const lo = minorRank(minorOf(a));
  const hi = minorRank(minorOf(b));
  const between = releases.filter((r) => minorRank(r.minor) > lo && minorRank(r.minor) < hi).map((r) => r.latest);
  return [...between, b.text];
}
