import semver from "semver";
import { isJsonObject } from "./is-json-object.js";

/** One published security advisory, as the bundled dataset (src/data/advisories.json) carries it. */
export interface Advisory {
  /** The CVE, or the GHSA where no CVE exists. */
  readonly id: string;
  readonly aliases: readonly string[];
  readonly published: string;
  readonly summary: string;
  /** "go-toolchain": affected ranges are over the Go version the server was built with (VARZ `go`). */
  readonly component: "nats-server" | "go-toolchain";
  /** semver ranges; a version in any of them is affected. */
  readonly affected: readonly string[];
  readonly fixed: readonly string[];
  readonly severity: string | null;
  readonly source: string;
}

export interface AdvisoryDataset {
  readonly source: string;
  /** The date of the advisories the dataset was compiled from (YYYY-MM-DD). */
  readonly as_of: string;
  readonly commit?: string;
  readonly advisories: readonly Advisory[];
}

export class DatasetError extends Error {
  override name = "DatasetError";
}

const SEVERITY_ORDER = ["low", "moderate", "medium", "high", "critical"];

/** The worst of the severities stated (unknown ones count as less than "low"). */
export function worstSeverity(list: readonly Advisory[]): string | null {
  let worst: string | null = null;
  for (const a of list) {
    const s = a.severity?.toLowerCase() ?? null;
    if (s !== null && (worst === null || SEVERITY_ORDER.indexOf(s) > SEVERITY_ORDER.indexOf(worst))) worst = s;
  }
  return worst;
}

/** "go1.21.3" -> "1.21.3", "go1.22" -> "1.22.0"; undefined for what is not a Go release. */
export function goSemver(go: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?/.exec(go.trim());
  return m ? `${m[1]}.${m[2]}.${m[3] ?? 0}` : undefined;
}

function inRanges(version: string, ranges: readonly string[]): boolean {
  return ranges.some((r) => semver.satisfies(version, r, { includePrerelease: true }));
}

/**
 * The advisories that apply to a server: nats-server ones by its version (build metadata ignored,
 * pre-releases included), Go toolchain ones by the Go it was built with, when that is known.
 */
export function advisoriesFor(dataset: AdvisoryDataset, version: string, go?: string): Advisory[] {
  const v = semver.parse(version.replace(/^v/, ""));
  const g = go !== undefined ? goSemver(go) : undefined;
  return dataset.advisories.filter((a) => {
    if (a.component === "go-toolchain") return g !== undefined && inRanges(g, a.affected);
    return v !== null && inRanges(v.version, a.affected);
  });
}

/** A release of nats-server (src/data/releases.json). */
export interface Release {
  readonly version: string;
  readonly date: string;
  readonly prerelease: boolean;
}

/**
 * The lowest released version at or above `target` that no known nats-server advisory affects,
 * preferring the target's own minor line; undefined when every release known is affected.
 */
export function recommendedVersion(dataset: AdvisoryDataset, releases: readonly Release[], target: string): string | undefined {
  const t = semver.parse(target.replace(/^v/, ""));
  if (!t) return undefined;
  // The target itself counts when it is a release: servers run it, whether or not the table has it yet.
  const candidates = t.prerelease.length === 0 ? [...releases, { version: t.version, date: "", prerelease: false }] : releases;
  const clean = candidates
    .filter((r) => !r.prerelease && semver.valid(r.version) && semver.gte(r.version, t.version))
    .filter((r) => advisoriesFor(dataset, r.version).length === 0)
    .sort((a, b) => semver.compare(a.version, b.version));
  const sameMinor = clean.find((r) => semver.major(r.version) === t.major && semver.minor(r.version) === t.minor);
  return (sameMinor ?? clean[0])?.version;
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new DatasetError(`${what} must be a list of strings`);
  return v as string[];
}

/** Validates a dataset from outside (a file, the KV bucket): a typed value, or a DatasetError naming the fault. */
export function parseAdvisoryDataset(raw: unknown): AdvisoryDataset {
  if (!isJsonObject(raw)) throw new DatasetError("the dataset must be a JSON object");
  if (typeof raw["source"] !== "string") throw new DatasetError(`"source" must be a string`);
  if (typeof raw["as_of"] !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(raw["as_of"])) throw new DatasetError(`"as_of" must be a date (YYYY-MM-DD)`);
  if (!Array.isArray(raw["advisories"])) throw new DatasetError(`"advisories" must be a list`);
  const seen = new Set<string>();
  const advisories = raw["advisories"].map((a: unknown, i: number): Advisory => {
    const at = `advisories[${i}]`;
    if (!isJsonObject(a)) throw new DatasetError(`${at} must be an object`);
    const id = a["id"];
    if (typeof id !== "string" || id === "") throw new DatasetError(`${at}.id must be a non-empty string`);
    if (seen.has(id)) throw new DatasetError(`${at}: the id ${id} appears twice`);
    seen.add(id);
    const component = a["component"];
    if (component !== "nats-server" && component !== "go-toolchain") throw new DatasetError(`${at} (${id}).component must be "nats-server" or "go-toolchain"`);
    const affected = strings(a["affected"], `${at} (${id}).affected`);
    if (affected.length === 0) throw new DatasetError(`${at} (${id}).affected is empty`);
    for (const r of affected) if (semver.validRange(r) === null) throw new DatasetError(`${at} (${id}): ${JSON.stringify(r)} is not a version range`);
    const severity = a["severity"];
    if (severity !== null && severity !== undefined && typeof severity !== "string") throw new DatasetError(`${at} (${id}).severity must be a string or null`);
    return {
      id,
      aliases: a["aliases"] === undefined ? [] : strings(a["aliases"], `${at} (${id}).aliases`),
      published: typeof a["published"] === "string" ? a["published"] : "",
      summary: typeof a["summary"] === "string" ? a["summary"] : "",
      component,
      affected,
      fixed: a["fixed"] === undefined ? [] : strings(a["fixed"], `${at} (${id}).fixed`),
      severity: typeof severity === "string" ? severity : null,
      source: typeof a["source"] === "string" ? a["source"] : "",
    };
  });
  return { source: raw["source"], as_of: raw["as_of"], ...(typeof raw["commit"] === "string" ? { commit: raw["commit"] } : {}), advisories };
}

/** Validates a release table (src/data/releases.json): the releases, oldest first. */
export function parseReleases(raw: unknown): Release[] {
  if (!isJsonObject(raw) || !Array.isArray(raw["releases"])) throw new DatasetError(`the release table must be an object with a "releases" list`);
  return raw["releases"]
    .map((r: unknown, i: number): Release => {
      if (!isJsonObject(r) || typeof r["version"] !== "string" || semver.valid(r["version"]) === null) throw new DatasetError(`releases[${i}].version must be a version`);
      return { version: r["version"], date: typeof r["date"] === "string" ? r["date"] : "", prerelease: r["prerelease"] === true };
    })
    .sort((a, b) => semver.compare(a.version, b.version));
}
