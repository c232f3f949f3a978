// The report worker: a thread that keeps its own copy of the fleet (replayed from the main
// thread's journal) and renders the encoded reports, so that neither a request nor the ingest of
// advertisements ever waits while a report of a large fleet is built.
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { AdvisoryBook } from "../core/advisory-book.js";
import type { AdvisoryDataset } from "../core/advisory.js";
import { Fleet, type FleetPolicy } from "../core/fleet.js";
import type { Inventory } from "../core/inventory.js";
import type { MismatchPolicy } from "../core/mismatch-policy.js";
import { judgeScopes, type ScopeVerdict } from "../core/scope-verdict.js";
import { clustersToProbe } from "../core/reachability.js";
import type { ReportQuery } from "../core/version-report.js";
import type { PingRound } from "../core/ping-rounds.js";
import { bundledReleases } from "../data/bundled.js";
import { applyFleetOp, type FleetOp } from "./fleet-journal.js";
import { FittedLimits, renderReport, visibilityOf, type RenderedReport, type ReportContext, type ReportSources } from "./report-encoding.js";
import { visibilityFigures, type Visibility, type VisibilityFigures } from "../core/visibility.js";

/** Main thread to worker. */
export type ToReportWorker =
  | { readonly type: "ops"; readonly ops: readonly FleetOp[] }
  | { readonly type: "advisories"; readonly dataset: AdvisoryDataset }
  | { readonly type: "inventory"; readonly inventory: Inventory | null }
  | {
      readonly type: "build";
      readonly id: number;
      readonly ctx: ReportContext;
      readonly queries: readonly { readonly key: string; readonly query: ReportQuery }[];
      /** The ping round is the one sent with an earlier build, unchanged: `ctx.lastPing` is left out. */
      readonly sameRound?: true;
    }
  | { readonly type: "judge"; readonly id: number; readonly now: number; readonly policy: MismatchPolicy; readonly since: ReadonlyMap<string, number> }
  | { readonly type: "probe-check"; readonly id: number; readonly now: number };

/** Worker to main thread. */
export type FromReportWorker =
  | { readonly type: "ready" }
  | { readonly type: "built"; readonly id: number; readonly ms: number; readonly reports: readonly RenderedReport[]; readonly visibility: VisibilityFigures; readonly heapBytes: number }
  | { readonly type: "judged"; readonly id: number; readonly verdicts: readonly ScopeVerdict[] }
  | { readonly type: "probe-targets"; readonly id: number; readonly clusters: readonly string[] };

export interface ReportWorkerData {
  readonly fleet: FleetPolicy;
  readonly advisories: AdvisoryDataset;
}

const fits = new FittedLimits();

/** A rendering that failed for another reason than the request is answered as a 500, not lost with the worker. */
function render(sources: ReportSources, ctx: ReportContext, key: string, query: ReportQuery, visibility: Visibility): RenderedReport {
  try {
    return renderReport(sources, ctx, key, query, visibility, fits);
  } catch (err) {
    return { key, error: { message: `internal error while building the report: ${(err as Error).message}`, code: 500 } };
  }
}

if (parentPort) {
  const port = parentPort;
  const data = workerData as ReportWorkerData;
  const fleet = new Fleet(data.fleet);
  let book = new AdvisoryBook(data.advisories, bundledReleases);
  let inventory: Inventory | undefined;
  // The last ping round sent: later builds of the same round leave it out (see ReportShelf).
  let round: PingRound | undefined;
  // Until this arrives, the main thread judges scopes itself rather than wait for the worker's start.
  port.postMessage({ type: "ready" } satisfies FromReportWorker);
  port.on("message", (msg: ToReportWorker) => {
    switch (msg.type) {
      case "ops":
        for (const op of msg.ops) applyFleetOp(fleet, op);
        return;
      case "advisories":
        book = new AdvisoryBook(msg.dataset, bundledReleases);
        return;
      case "inventory":
        inventory = msg.inventory ?? undefined;
        return;
      case "build": {
        const started = performance.now();
        if (!msg.sameRound) round = msg.ctx.lastPing;
        const ctx: ReportContext = msg.sameRound ? { ...msg.ctx, lastPing: round } : msg.ctx;
        const visibility = visibilityOf(fleet, ctx);
        const reports = msg.queries.map(({ key, query }) => render({ fleet, book, inventory }, ctx, key, query, visibility));
        // The worker's heap (its copy of the fleet) is its own: the process's heap figures do not show
        // it. The fleet's columns are typed arrays, outside the heap: counted with it.
        const { used_heap_size, external_memory } = getHeapStatistics();
        const heapBytes = used_heap_size + external_memory;
        const reply: FromReportWorker = { type: "built", id: msg.id, ms: performance.now() - started, reports, visibility: visibilityFigures(visibility), heapBytes };
        port.postMessage(reply, reports.flatMap((r) => ("bytes" in r ? [r.bytes.buffer as ArrayBuffer] : [])));
        return;
      }
      case "judge": {
        const verdicts = judgeScopes(fleet, msg.now, msg.policy, (scope) => msg.since.get(scope), (versions) => book.affectedVersions(versions));
        port.postMessage({ type: "judged", id: msg.id, verdicts } satisfies FromReportWorker);
        return;
      }
      case "probe-check":
        port.postMessage({ type: "probe-targets", id: msg.id, clusters: clustersToProbe(fleet, msg.now) } satisfies FromReportWorker);
        return;
    }
  });
}
