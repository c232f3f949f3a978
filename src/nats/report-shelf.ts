import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { AdvisoryDataset } from "../core/advisory.js";
import type { FleetPolicy } from "../core/fleet.js";
import type { Inventory } from "../core/inventory.js";
import type { MismatchPolicy } from "../core/mismatch-policy.js";
import type { ScopeVerdict } from "../core/scope-verdict.js";
import type { VisibilityFigures } from "../core/visibility.js";
import type { ReportQuery } from "../core/version-report.js";
import type { FleetOp } from "./fleet-journal.js";
import { BacklogWatch, type IngestState } from "./backlog-watch.js";
import { renderReport, type RenderedReport, type ReportContext, type ReportSources } from "./report-encoding.js";
import { RequestError } from "./report-request.js";
import type { FromReportWorker, ReportWorkerData, ToReportWorker } from "./report-worker.js";

export interface ReportShelfOptions {
  readonly log: Logger;
  readonly now: () => number;
  readonly fleetPolicy: FleetPolicy;
  readonly advisories: AdvisoryDataset;
  /** The main thread's own sources: for a query asked for the first time, and if the worker fails. */
  readonly sources: () => ReportSources;
  readonly context: () => ReportContext;
  /** Changes whenever anything a report shows has changed (besides the clock). */
  readonly revision: () => string;
  /** Advertisements wait to be taken in (see Collector.behind): renderings are paced for it. */
  readonly behind?: () => boolean;
}

/** How often the shelf looks for changes to render; a change reaches the shelf within this plus one build. */
const CHECK_MS = 50;
/**
 * Times in a report (ages, uptimes) move on: a report someone reads is rendered again this often,
 * changed or not... Every 1 s, these renderings of nothing new kept the worker busy (4-17 ms a
 * second at 1,000 servers in a profile, about 35 ms at 100,000 by the growth bench) and, on two
 * cores, left the main thread waiting 6 ms or more for a core 34 times in 100 s at 1,000 servers,
 * against 13 at 5 s (one pair of runs): the tail of requests. Ages of whole seconds, 5 s late, with
 * `generated_at` saying so, tell an operator the same.
 */
const TICK_MS = 5000;
/** ...and one nobody asked for lately, this often. */
const IDLE_TICK_MS = 10_000;
/** A query not asked for this long is no longer rendered (the whole-system one always is). */
const WARM_MS = 60_000;
const MAX_QUERIES = 64;
/** Rendering gets at most about a third of a core: the next build waits twice as long as the last took... */
const BUILD_GAP_FACTOR = 2;
/**
 * ...but after one of the worker's first renderings, never longer than this. Those run cold (the
 * code not compiled yet, on a machine busy starting everything else) and took seconds under a
 * loaded test run: the pause after one kept the first rendering, of a fleet still empty, served for
 * seconds after the servers were known. Later, a slow rendering is a large fleet's, and the whole
 * pause keeps it to a third of a core: capped, renderings of 33,334 clusters (about a second
 * each) kept the worker busy 70 % of the time, on the cores the ingest needed.
 */
const MAX_BUILD_GAP_MS = 500;
const WARMUP_RENDERINGS = 3;

/**
 * While a backlog waits, renderings are at least this far apart: each shows a fleet that is
 * already behind, and takes a core the backlog needs (at 33,334 clusters, about a second each).
 */
const BEHIND_BUILD_GAP_MS = 5000;
/**
 * A backlog that lasted this long, once taken in, is rendered at once: after a burst of 100,000
 * new servers the pause after the last rendering (twice its 1.8 s) held the report 3-4 s behind a
 * fleet that had been complete since.
 */
const CAUGHT_UP_AFTER_MS = 1000;

/** When the next rendering may start, after the `rendered`th one, which ended at `endedAt` (monotonic clock) and took `ms`. */
export function nextBuildAt(endedAt: number, ms: number, rendered: number, ingest: IngestState = "steady"): number {
  if (ingest === "caught-up") return endedAt;
  const gap = BUILD_GAP_FACTOR * ms;
  const pause = rendered <= WARMUP_RENDERINGS ? Math.min(gap, MAX_BUILD_GAP_MS) : gap;
  return endedAt + (ingest === "behind" ? Math.max(pause, BEHIND_BUILD_GAP_MS) : pause);
}
/**
 * Whether the worker should render again, at `now` (the injected clock): something a report shows
 * changed, a query was never rendered, or the last rendering's ages are a tick old.
 */
export function renderingDue(
  last: { readonly revision: string; readonly at: number } | undefined,
  state: { readonly revision: string; readonly now: number; readonly askedAt: number; readonly unrendered: boolean },
): boolean {
  if (!last || last.revision !== state.revision || state.unrendered) return true;
  const tick = state.now - state.askedAt < WARM_MS ? TICK_MS : IDLE_TICK_MS;
  return state.now - last.at >= tick;
}
/** Journal entries sent to the worker in one message, so that a burst never piles up in memory. */
const OPS_PER_MESSAGE = 5000;
const DEFAULT_KEY = "{}";
/** An answer of the worker (a judgement, the clusters to probe) is waited for this long; then it is worked out on this thread. */
const ASK_TIMEOUT_MS = 10_000;

interface Entry {
  readonly query: ReportQuery;
  asked: number;
  rendered?: RenderedReport;
}

/**
 * The encoded `versions.report` replies, rendered off the request path: a worker thread keeps a
 * copy of the fleet (from the journal of changes) and renders every query asked lately whenever
 * something changes and every 5 s; a request is answered with the last complete rendering, so
 * it never waits for a build. Only a query nobody asked before is built while its request waits.
 * Served renderings lag the fleet by at most one check interval, the pause after the last build
 * (twice its time; at most MAX_BUILD_GAP_MS after the first few; at least BEHIND_BUILD_GAP_MS
 * while advertisements wait, none once a backlog is taken in) and one build.
 */
export class ReportShelf {
  readonly #opts: ReportShelfOptions;
  readonly #entries = new Map<string, Entry>([[DEFAULT_KEY, { query: {}, asked: 0 }]]);
  #worker: Worker | undefined;
  /** The worker has loaded and started taking messages. */
  #ready = false;
  /** The fleet is still being read from KV (see `loaded`): nothing is rendered meanwhile. */
  #loading = true;
  #ops: FleetOp[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: { id: number; revision: string; at: number } | undefined;
  /** The ping round the worker was last sent, by what identifies its answers (a round's answers only grow). */
  #sentRound: { id: string; at: number; size: number } | undefined;
  #seq = 0;
  /** The latest rendering: what it showed (revision, the report's instant) and when it ended on the monotonic clock. */
  #built: { revision: string; at: number; endedAt: number; ms: number } | undefined;
  #askedAt = 0;
  readonly #backlog = new BacklogWatch(CAUGHT_UP_AFTER_MS);
  #visibility: VisibilityFigures | undefined;
  #fallbackCache = new Map<string, { version: string; bytes: Uint8Array }>();
  /** Questions the worker was asked and has not answered yet, each with how to answer it here instead. */
  readonly #asked = new Map<number, { resolve: (v: unknown) => void; fallback: () => unknown }>();
  readonly stats = { background_builds: 0, on_request_builds: 0, last_build_ms: 0, served: 0, rendered_at: null as string | null, answered_here_after_timeout: 0, worker_heap_bytes: 0 };

  constructor(opts: ReportShelfOptions) {
    this.#opts = opts;
  }

  /** Starts the worker; without one (it failed to start or died) reports are built on request. */
  start(): void {
    this.#sentRound = undefined;
    const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
    const data: ReportWorkerData = { fleet: this.#opts.fleetPolicy, advisories: this.#opts.advisories };
    const url = new URL(`./report-worker.${ext}`, import.meta.url);
    // Run from TypeScript sources (tests, tsx), the worker registers the same loader first; the build runs plain JS.
    const worker = ext === "ts"
      ? new Worker(`import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`, { eval: true, workerData: data })
      : new Worker(url, { workerData: data });
    worker.on("message", (msg: FromReportWorker) => this.#received(msg));
    worker.on("error", (err) => this.#lost(err));
    worker.on("exit", (code) => {
      if (this.#worker === worker) this.#lost(new Error(`report worker exited with code ${code}`));
    });
    worker.unref();
    this.#worker = worker;
    this.#timer = setInterval(() => this.#check(), CHECK_MS);
    this.#timer.unref();
  }

  /**
   * The fleet's first read from KV is complete: renderings start. Before, the worker rendered the
   * fleet while it was being read, still empty, and that rendering could be the one served first
   * after the endpoint started: a report without the stored servers.
   */
  loaded(): void {
    this.#loading = false;
    this.#check();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ops = [];
    for (const { resolve, fallback } of this.#asked.values()) resolve(fallback());
    this.#asked.clear();
    await worker?.terminate();
  }

  /** Whether a worker renders the reports (else this thread builds them on request). */
  get hasWorker(): boolean {
    return this.#worker !== undefined;
  }

  /** What the latest rendering saw of the fleet; undefined without a worker (then it is assessed on request). */
  get visibility(): VisibilityFigures | undefined {
    return this.#worker ? this.#visibility : undefined;
  }

  /** Takes one change to the fleet, for the worker's copy. */
  journal = (op: FleetOp): void => {
    if (!this.#worker) return;
    this.#ops.push(op);
    if (this.#ops.length >= OPS_PER_MESSAGE) this.#flush();
  };

  advisories(dataset: AdvisoryDataset): void {
    this.#post({ type: "advisories", dataset });
  }

  inventory(inventory: Inventory | undefined): void {
    this.#post({ type: "inventory", inventory: inventory ?? null });
  }

  /** The reply to a query: the last complete rendering; throws RequestError for one that cannot be answered. */
  serve(query: ReportQuery): Uint8Array {
    const key = JSON.stringify(query);
    const now = this.#opts.now();
    this.#askedAt = now;
    this.stats.served++;
    if (!this.#worker) return this.#fallback(key, query);
    let entry = this.#entries.get(key);
    if (!entry) {
      if (this.#entries.size >= MAX_QUERIES) this.#prune(now, true);
      this.#entries.set(key, (entry = { query, asked: now }));
    }
    entry.asked = now;
    if (!entry.rendered) {
      // Asked for the first time: built here, once; from now on the worker keeps it current.
      this.stats.on_request_builds++;
      const sources = this.#opts.sources();
      entry.rendered = renderReport(sources, this.#opts.context(), key, query);
      sources.fleet.releaseDigests();
    }
    return unwrap(entry.rendered);
  }

  /** Without a worker: built on request, and kept while nothing changes within the second. */
  #fallback(key: string, query: ReportQuery): Uint8Array {
    const version = `${this.#opts.revision()}/${Math.floor(this.#opts.now() / 1000)}`;
    const hit = this.#fallbackCache.get(key);
    if (hit?.version === version) return hit.bytes;
    this.stats.on_request_builds++;
    const bytes = unwrap(renderReport(this.#opts.sources(), this.#opts.context(), key, query));
    if (this.#fallbackCache.size >= MAX_QUERIES) this.#fallbackCache.clear();
    this.#fallbackCache.set(key, { version, bytes });
    return bytes;
  }

  #check(): void {
    if (!this.#worker) return;
    this.#flush();
    // Seen at every check, a rendering in flight or not: a backlog may begin and end during one.
    const ingest = this.#backlog.see(this.#opts.behind?.() ?? false, performance.now());
    if (this.#inFlight || this.#loading) return;
    const now = this.#opts.now();
    const built = this.#built;
    // Pacing is about this process's CPU, so it runs on the monotonic clock, never the injected one.
    if (built && performance.now() < nextBuildAt(built.endedAt, built.ms, this.stats.background_builds, ingest)) return;
    const revision = this.#opts.revision();
    const unrendered = [...this.#entries.values()].some((e) => !e.rendered);
    if (!renderingDue(built, { revision, now, askedAt: this.#askedAt, unrendered })) return;
    this.#prune(now, false);
    const ctx = this.#opts.context();
    const queries = [...this.#entries].map(([key, e]) => ({ key, query: e.query }));
    const id = ++this.#seq;
    this.#inFlight = { id, revision, at: ctx.now };
    // What the backlog held is in this rendering: the next is paced as usual.
    if (ingest === "caught-up") this.#backlog.rendered();
    // The names that answered the last ping (every server) go to the worker only when they changed:
    // copied into every build message, they cost 2.6 ms of this thread per build at 100,000 servers.
    const round = ctx.lastPing;
    const sent = this.#sentRound;
    if (round && sent && sent.id === round.id && sent.at === round.at && sent.size === round.answered.size) {
      this.#post({ type: "build", id, ctx: { ...ctx, lastPing: undefined }, queries, sameRound: true });
    } else {
      this.#sentRound = round && { id: round.id, at: round.at, size: round.answered.size };
      this.#post({ type: "build", id, ctx, queries });
    }
  }

  /**
   * Every scope judged by the worker from its copy of the fleet, as of `now` (the journal so far is
   * sent first); `here` judges on this thread when there is no worker.
   */
  judge(now: number, policy: MismatchPolicy, since: ReadonlyMap<string, number>, here: () => readonly ScopeVerdict[]): Promise<readonly ScopeVerdict[]> {
    return this.#ask((id) => ({ type: "judge", id, now, policy, since }), here);
  }

  /**
   * Which clusters to probe as of `now`, decided by the worker from its copy of the fleet: at
   * 100,000 servers the check reads every one, which on this thread held up every request.
   */
  probeTargets(now: number, here: () => readonly string[]): Promise<readonly string[]> {
    return this.#ask((id) => ({ type: "probe-check", id, now }), here);
  }

  #ask<T>(message: (id: number) => ToReportWorker, here: () => T): Promise<T> {
    // A worker still starting (loading its modules) would hold up the caller: answered here meanwhile.
    if (!this.#worker || !this.#ready) return Promise.resolve(here());
    const id = ++this.#seq;
    return new Promise((resolve) => {
      // A worker that does not answer (stuck on a huge rendering) must not stop the caller.
      const timer = setTimeout(() => {
        if (!this.#asked.delete(id)) return;
        this.stats.answered_here_after_timeout++;
        resolve(here());
      }, ASK_TIMEOUT_MS);
      timer.unref();
      this.#asked.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        fallback: here,
      });
      this.#post(message(id));
    });
  }

  #received(msg: FromReportWorker): void {
    if (msg.type === "ready") {
      this.#ready = true;
      return;
    }
    if (msg.type === "judged" || msg.type === "probe-targets") {
      this.#asked.get(msg.id)?.resolve(msg.type === "judged" ? msg.verdicts : msg.clusters);
      this.#asked.delete(msg.id);
      return;
    }
    const flight = this.#inFlight;
    if (flight?.id !== msg.id) return;
    this.#inFlight = undefined;
    this.#built = { revision: flight.revision, at: flight.at, endedAt: performance.now(), ms: msg.ms };
    this.stats.background_builds++;
    this.stats.last_build_ms = Math.round(msg.ms * 10) / 10;
    this.stats.worker_heap_bytes = msg.heapBytes;
    this.stats.rendered_at = new Date(flight.at).toISOString();
    this.#visibility = msg.visibility;
    for (const r of msg.reports) {
      const entry = this.#entries.get(r.key);
      if (entry) entry.rendered = r;
    }
  }

  /** Drops queries nobody asked for lately (all but the newest half when `crowded`). */
  #prune(now: number, crowded: boolean): void {
    const byAge = [...this.#entries].filter(([key]) => key !== DEFAULT_KEY).sort(([, a], [, b]) => a.asked - b.asked);
    const drop = crowded ? byAge.slice(0, Math.ceil(byAge.length / 2)) : byAge.filter(([, e]) => now - e.asked >= WARM_MS);
    for (const [key] of drop) this.#entries.delete(key);
  }

  #flush(): void {
    if (this.#ops.length === 0) return;
    const ops = this.#ops;
    this.#ops = [];
    this.#post({ type: "ops", ops });
  }

  #post(msg: ToReportWorker): void {
    if (msg.type !== "ops") this.#flush();
    try {
      this.#worker?.postMessage(msg);
    } catch (err) {
      this.#lost(err as Error);
    }
  }

  #lost(err: Error): void {
    if (!this.#worker) return;
    this.#opts.log.error({ err: err.message }, "the report worker failed: reports are built on request from now on");
    const worker = this.#worker;
    this.#worker = undefined;
    this.#inFlight = undefined;
    this.#ops = [];
    void worker.terminate();
    // Whatever the worker was asked is answered here instead.
    for (const { resolve, fallback } of this.#asked.values()) resolve(fallback());
    this.#asked.clear();
  }
}

function unwrap(r: RenderedReport): Uint8Array {
  if ("bytes" in r) return r.bytes;
  throw new RequestError(r.error.message, r.error.code);
}
