import type { AdvisoryBook } from "../core/advisory-book.js";
import type { Fleet } from "../core/fleet.js";
import type { Inventory } from "../core/inventory.js";
import type { MismatchPolicy } from "../core/mismatch-policy.js";
import type { PingRound } from "../core/ping-rounds.js";
import { unreachableServers } from "../core/reachability.js";
import { buildReport, defaultReportLimits, type ReportLimits, type ReportOptions, type ReportQuery, type Warning } from "../core/version-report.js";
import { assessVisibility, type Visibility } from "../core/visibility.js";
import { RequestError } from "./report-request.js";

/** Everything a report shows besides the fleet itself; small, and cheap to hand to the report worker. */
export interface ReportContext {
  readonly now: number;
  readonly policy: MismatchPolicy;
  /** Durable mismatch start times by scope, from the held KV records. */
  readonly since: ReadonlyMap<string, number>;
  readonly lastPing: PingRound | undefined;
  /** While the system connection's pings are refused, silence proves nothing about a server. */
  readonly pingsRefused: boolean;
  readonly warnings: readonly Warning[];
  /** The connection's max_payload: no reply may be larger. */
  readonly maxPayload: number;
}

export interface ReportSources {
  readonly fleet: Fleet;
  readonly book: AdvisoryBook;
  readonly inventory: Inventory | undefined;
}

/** What the monitor sees of the whole fleet at `ctx.now`: the same for every query of one rendering pass. */
export function visibilityOf(fleet: Fleet, ctx: Pick<ReportContext, "now" | "lastPing" | "pingsRefused">): Visibility {
  return assessVisibility(fleet, ctx.lastPing, unreachableServers(fleet, ctx.now, !ctx.pingsRefused), ctx.now);
}

/**
 * The encoded reply to one query, never larger than max_payload: when a summary of a very large
 * fleet does not fit, the lists in it are halved until it does. Runs on the report worker, and on
 * the event loop only for a query nobody asked before.
 */
/** Everything a report is built from besides the fleet, the clock and the query. */
export function reportOptions(sources: ReportSources, ctx: ReportContext, limits: ReportLimits, visibility: Visibility): Partial<ReportOptions> {
  return {
    limits,
    policy: ctx.policy,
    sinceOf: (scope) => ctx.since.get(scope),
    visibility,
    warnings: ctx.warnings,
    advisories: sources.book,
    ...(sources.inventory ? { inventory: sources.inventory } : {}),
  };
}

/** One query's outcome: the reply, or the error to answer with. */
export type RenderedReport =
  | { readonly key: string; readonly bytes: Uint8Array }
  | { readonly key: string; readonly error: { readonly message: string; readonly code: number } };

/**
 * The limits each query's last rendering fitted max_payload with. A whole-system report of an edge
 * fleet (33,334 clusters) did not fit at the defaults: every rendering built it twice, the first
 * time for nothing. Rendered again, it starts where it fitted, and tries the defaults again once
 * it came out at half of max_payload or less (the fleet shrank, or max_payload grew): twice as much
 * may fit then.
 */
export class FittedLimits {
  readonly #byKey = new Map<string, ReportLimits>();

  start(key: string): ReportLimits | undefined {
    return this.#byKey.get(key);
  }

  fitted(key: string, limits: ReportLimits, bytes: number, maxPayload: number): void {
    const shrunk = limits.maxOutliers < defaultReportLimits.maxOutliers || limits.maxNames < defaultReportLimits.maxNames;
    if (shrunk && bytes * 2 > maxPayload) this.#byKey.set(key, limits);
    else this.#byKey.delete(key);
  }
}

/** One query rendered: a request the report cannot answer becomes its error; anything else is thrown. */
export function renderReport(sources: ReportSources, ctx: ReportContext, key: string, query: ReportQuery, visibility?: Visibility, fits?: FittedLimits): RenderedReport {
  try {
    const { bytes, limits } = encodeFitting(sources, ctx, query, visibility, fits?.start(key));
    fits?.fitted(key, limits, bytes.length, ctx.maxPayload);
    return { key, bytes };
  } catch (err) {
    if (err instanceof RequestError) return { key, error: { message: err.message, code: err.code } };
    throw err;
  }
}

export function encodeReport(sources: ReportSources, ctx: ReportContext, query: ReportQuery, visibility = visibilityOf(sources.fleet, ctx)): Uint8Array {
  return encodeFitting(sources, ctx, query, visibility).bytes;
}

/** The report within max_payload, and the limits it took; from `start` if given, else the defaults. */
function encodeFitting(sources: ReportSources, ctx: ReportContext, query: ReportQuery, visibility = visibilityOf(sources.fleet, ctx), start?: ReportLimits): { bytes: Uint8Array; limits: ReportLimits } {
  // The page size asked for stands unless the reply would not fit; then everything shrinks.
  let limits: ReportLimits = start ?? { ...defaultReportLimits, pageSize: query.pageSize ?? defaultReportLimits.pageSize };
  for (;;) {
    const report = buildReport(sources.fleet, ctx.now, { ...query, pageSize: limits.pageSize }, reportOptions(sources, ctx, limits, visibility));
    const bytes = new TextEncoder().encode(JSON.stringify(report));
    if (bytes.length <= ctx.maxPayload) return { bytes, limits };
    if (limits.pageSize <= 1 && limits.maxOutliers <= 1 && limits.maxNames <= 1) {
      throw new RequestError(`the report does not fit the connection's max_payload of ${ctx.maxPayload} bytes: ask for one cluster ({"cluster":"..."})`, 413);
    }
    limits = {
      pageSize: Math.max(1, Math.floor(limits.pageSize / 2)),
      maxOutliers: Math.max(1, Math.floor(limits.maxOutliers / 2)),
      maxNames: Math.max(1, Math.floor(limits.maxNames / 2)),
    };
  }
}
