import { advisoriesFor, recommendedVersion, worstSeverity, type Advisory, type AdvisoryDataset, type Release } from "./advisory.js";
import type { AffectedVersion } from "./mismatch-event.js";

/** What a report says about the advisories that apply to one version (and Go). */
export interface AdvisorySummary {
  readonly count: number;
  readonly ids: readonly string[];
  readonly worst_severity: string | null;
}

/** Ids listed per summary; the count says how many there are. */
const MAX_IDS = 10;

/**
 * The dataset in use, with answers remembered per version: a fleet has a handful of distinct
 * versions, and a report asks for every server. Pure.
 */
export class AdvisoryBook {
  readonly #byVersion = new Map<string, Advisory[]>();
  readonly #recommended = new Map<string, string | undefined>();

  constructor(
    readonly dataset: AdvisoryDataset,
    readonly releases: readonly Release[],
  ) {}

  applying(version: string, go?: string): Advisory[] {
    const key = `${version}\n${go ?? ""}`;
    let hit = this.#byVersion.get(key);
    if (!hit) {
      if (this.#byVersion.size > 4096) this.#byVersion.clear();
      hit = advisoriesFor(this.dataset, version, go);
      this.#byVersion.set(key, hit);
    }
    return hit;
  }

  summary(version: string, go?: string): AdvisorySummary {
    const list = this.applying(version, go);
    return { count: list.length, ids: list.slice(0, MAX_IDS).map((a) => a.id), worst_severity: worstSeverity(list) };
  }

  /**
   * The versions among these servers that nats-server advisories affect, with their servers; in
   * version-text order, so that two evaluations list them alike. Servers come one by one, or
   * already counted by version (a scope's version groups: no need to read 100,000 servers again).
   */
  affectedVersions(servers: readonly { readonly version: string; readonly count?: number }[]): AffectedVersion[] {
    const counts = new Map<string, number>();
    for (const s of servers) counts.set(s.version, (counts.get(s.version) ?? 0) + (s.count ?? 1));
    const out: AffectedVersion[] = [];
    for (const [version, servers] of counts) {
      const list = this.applying(version);
      if (list.length > 0) out.push({ version, servers, advisories: list.length, ids: list.slice(0, MAX_IDS).map((a) => a.id), worst_severity: worstSeverity(list) });
    }
    return out.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  }

  recommended(target: string): string | undefined {
    if (!this.#recommended.has(target)) this.#recommended.set(target, recommendedVersion(this.dataset, this.releases, target));
    return this.#recommended.get(target);
  }
}
