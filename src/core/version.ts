import semver, { type SemVer } from "semver";

/** A nats-server version as advertised, and its parsed form. */
export interface Version {
  /** Normalised text: no leading `v`, build metadata kept ("2.11.0-RC.1", "2.10.3+abc"). */
  readonly text: string;
  readonly semver: SemVer;
}

/** Longest version string accepted; anything longer is not a version a server would advertise. */
export const MAX_VERSION_LENGTH = 64;

/**
 * Every advertisement carries a version string, and a fleet has only a handful of distinct ones:
 * parsed results are remembered (bounded, so a flood of forged versions cannot grow it).
 */
const parsedCache = new Map<string, Version | undefined>();
const PARSED_CACHE_MAX = 1024;

/** Parses "2.10.3", "v2.10.3", "2.11.0-RC.1", "2.10.3+build.5"; undefined when it is not a version. */
export function parseVersion(raw: string): Version | undefined {
  if (parsedCache.has(raw)) return parsedCache.get(raw);
  const parsed = parseVersionUncached(raw);
  if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
  parsedCache.set(raw, parsed);
  return parsed;
}

function parseVersionUncached(raw: string): Version | undefined {
  const trimmed = raw.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_VERSION_LENGTH) return undefined;
  const parsed = semver.parse(trimmed.replace(/^[vV]/, ""));
  if (!parsed) return undefined;
  const build = parsed.build.length > 0 ? `+${parsed.build.join(".")}` : "";
  return { text: `${parsed.version}${build}`, semver: parsed };
}

/**
 * Orders versions oldest first. Versions that differ only in build metadata are ordered by that
 * metadata's text, so that sorting is total and stable.
 */
export function compareVersions(a: Version, b: Version): number {
  return semver.compare(a.semver, b.semver) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
}

/** A pre-release build (2.11.0-RC.1, 2.12.0-dev): a warning sign in a release cluster. */
export function isPrerelease(v: Version): boolean {
  return v.semver.prerelease.length > 0;
}
