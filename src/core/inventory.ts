import semver from "semver";
import { isJsonObject } from "./is-json-object.js";
import type { ServerRecord } from "./server-record.js";

/** One expected server (or a family of them, by pattern), as an operator declares it. */
export interface InventoryEntry {
  /** An exact server name... */
  readonly name?: string;
  /** ...or a pattern with `*` and `?` (e.g. "edge-*"). */
  readonly pattern?: string;
  readonly cluster?: string;
  /** The pinned version: exact ("2.10.27") or a semver range ("~2.10", ">=2.10.0 <2.11.0"). */
  readonly version?: string;
  /** Free labels: `pipeline`, `owner`, ... */
  readonly labels: Readonly<Record<string, string>>;
}

export interface Inventory {
  readonly entries: readonly InventoryEntry[];
}

/** What is wrong with an inventory entry, and where: `at` is the entry's index. */
export class InventoryError extends Error {
  override name = "InventoryError";
  constructor(
    readonly at: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[^\s]{1,256}$/;
const FIELDS = ["name", "pattern", "cluster", "version", "labels"];

function text(o: Record<string, unknown>, k: string, i: number): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !NAME.test(v)) throw new InventoryError(i, `"${k}" must be a non-empty string without spaces`);
  return v;
}

/** Validates one entry from outside (a file, the bucket). */
export function parseInventoryEntry(raw: unknown, i: number): InventoryEntry {
  if (!isJsonObject(raw)) throw new InventoryError(i, "an entry must be a mapping (name, cluster, version, labels)");
  const unknown = Object.keys(raw).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) throw new InventoryError(i, `unknown field "${unknown}" (fields: ${FIELDS.join(", ")})`);
  const name = text(raw, "name", i);
  const pattern = text(raw, "pattern", i);
  if ((name === undefined) === (pattern === undefined)) throw new InventoryError(i, `give either "name" or "pattern"`);
  const cluster = text(raw, "cluster", i);
  let version: string | undefined;
  if (raw["version"] !== undefined) {
    const v = raw["version"];
    if (typeof v !== "string" || semver.validRange(v) === null) throw new InventoryError(i, `"version" ${JSON.stringify(v)} is not a version or semver range`);
    version = v;
  }
  const labels: Record<string, string> = {};
  if (raw["labels"] !== undefined) {
    if (!isJsonObject(raw["labels"])) throw new InventoryError(i, `"labels" must be a mapping of names to strings`);
    for (const [k, v] of Object.entries(raw["labels"])) {
      if (typeof v !== "string") throw new InventoryError(i, `label "${k}" must be a string`);
      labels[k] = v;
    }
  }
  return { ...(name !== undefined ? { name } : {}), ...(pattern !== undefined ? { pattern } : {}), ...(cluster !== undefined ? { cluster } : {}), ...(version !== undefined ? { version } : {}), labels };
}

/** Validates a whole inventory: `{ servers: [entry, ...] }`. */
export function parseInventory(raw: unknown): Inventory {
  if (!isJsonObject(raw) || !Array.isArray(raw["servers"])) throw new InventoryError(undefined, `an inventory is a mapping with a "servers" list`);
  const entries = raw["servers"].map((e: unknown, i: number) => parseInventoryEntry(e, i));
  const names = new Set<string>();
  entries.forEach((e, i) => {
    if (e.name === undefined) return;
    if (names.has(e.name)) throw new InventoryError(i, `the server ${JSON.stringify(e.name)} is listed twice`);
    names.add(e.name);
  });
  return { entries };
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
}

/** The entry that describes a server: its exact name first, then the first pattern that matches. */
export function entryFor(inventory: Inventory, r: ServerRecord): InventoryEntry | undefined {
  const fits = (e: InventoryEntry) => e.cluster === undefined || e.cluster === r.cluster;
  return (
    inventory.entries.find((e) => e.name === r.name && fits(e)) ??
    inventory.entries.find((e) => e.pattern !== undefined && fits(e) && globToRegExp(e.pattern).test(r.name))
  );
}

/** Whether a version is within a pin: an exact version, or a range; pre-releases count. */
export function withinPin(version: string, pin: string): boolean {
  const v = semver.parse(version.replace(/^v/, ""));
  return v !== null && semver.satisfies(v.version, pin, { includePrerelease: true });
}

export interface InventoryFindings {
  /** Expected and not heard from within the offline window (or never). */
  readonly missing: readonly { readonly name: string; readonly cluster: string | null; readonly last_seen: number | null }[];
  /** Heard from, matching no entry. */
  readonly unexpected: readonly { readonly name: string; readonly cluster: string; readonly version: string }[];
  /** Running a version outside the pin of its entry. */
  readonly drift: readonly { readonly name: string; readonly cluster: string; readonly version: string; readonly pinned: string; readonly pipeline: string | null }[];
  /** The pipeline label of each server, where its entry has one. */
  readonly pipelineOf: ReadonlyMap<string, string>;
}

/**
 * The inventory against what the monitor sees: `live` are the servers heard from within the
 * offline window, `known` every server it remembers. Pure.
 */
export function assessInventory(inventory: Inventory, live: readonly ServerRecord[], known: readonly ServerRecord[]): InventoryFindings {
  const liveNames = new Set(live.map((r) => r.name));
  const byName = new Map(known.map((r) => [r.name, r]));
  const missing: InventoryFindings["missing"][number][] = [];
  for (const e of inventory.entries) {
    if (e.name !== undefined) {
      if (!liveNames.has(e.name)) missing.push({ name: e.name, cluster: e.cluster ?? null, last_seen: byName.get(e.name)?.lastSeen ?? null });
    } else if (!live.some((r) => entryFor({ entries: [e] }, r))) {
      missing.push({ name: e.pattern!, cluster: e.cluster ?? null, last_seen: null });
    }
  }
  const unexpected: InventoryFindings["unexpected"][number][] = [];
  const drift: InventoryFindings["drift"][number][] = [];
  const pipelineOf = new Map<string, string>();
  for (const r of live) {
    const e = entryFor(inventory, r);
    if (!e) {
      unexpected.push({ name: r.name, cluster: r.cluster, version: r.version });
      continue;
    }
    const pipeline = e.labels["pipeline"];
    if (pipeline !== undefined) pipelineOf.set(r.name, pipeline);
    if (e.version !== undefined && !withinPin(r.version, e.version)) {
      drift.push({ name: r.name, cluster: r.cluster, version: r.version, pinned: e.version, pipeline: pipeline ?? null });
    }
  }
  const byNameOrder = <T extends { name: string }>(list: T[]) => list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { missing: byNameOrder(missing), unexpected: byNameOrder(unexpected), drift: byNameOrder(drift), pipelineOf };
}
