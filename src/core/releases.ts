import type { Release } from "./advisory.js";
import semver from "semver";
import { bundledReleases } from "../data/bundled.js";

/** A minor release line of nats-server and its newest patch release. */
export interface MinorRelease {
  readonly minor: string;
  /** The newest (non-pre-release) patch release of this minor. */
  readonly latest: string;
}

/** Every minor line that had a release, with its newest patch (2.13 was never released: it is not there). */
export function minorReleases(releases: readonly Release[]): MinorRelease[] {
  const latest = new Map<string, string>();
  for (const r of releases) {
    if (r.prerelease || !semver.valid(r.version)) continue;
    const minor = `${semver.major(r.version)}.${semver.minor(r.version)}`;
    const seen = latest.get(minor);
    if (!seen || semver.gt(r.version, seen)) latest.set(minor, r.version);
  }
  return [...latest].map(([minor, v]) => ({ minor, latest: v })).sort((a, b) => semver.compare(a.latest, b.latest));
}

/** The minor lines of the release table bundled with this build (src/data/releases.json). */
export const MINOR_RELEASES: readonly MinorRelease[] = minorReleases(bundledReleases);
