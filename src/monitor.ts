import type { NatsConnection } from "@nats-io/nats-core";
import type { Service } from "@nats-io/services";
import type { Logger } from "pino";
import { describeConnection } from "./config/connection-config.js";
import type { MonitorConfig } from "./config/monitor-config.js";
import { Fleet, ObserveOutcome } from "./core/fleet.js";
import { JournaledFleet } from "./nats/fleet-journal.js";
import { ReportShelf } from "./nats/report-shelf.js";
import { reportOptions, visibilityOf, type ReportContext, type ReportSources } from "./nats/report-encoding.js";
import { mergeRecords } from "./core/merge-records.js";
import type { ServerObservation } from "./core/observation.js";
import type { ServerRecord } from "./core/server-record.js";
import { buildReport, defaultReportLimits, type ReportLimits, type ReportQuery, type VersionReport, type Warning } from "./core/version-report.js";
import { Collector } from "./nats/collector.js";
import { connectTo } from "./nats/connect.js";
import { startReportService } from "./nats/report-service.js";
import { parseReportRequest, RequestError } from "./nats/report-request.js";
import { parseEventsRequest } from "./nats/events-request.js";
import type { HistoryQuery } from "./nats/event-stream.js";
import { MismatchTracker } from "./nats/mismatch-tracker.js";
import { openBucket, ServerStore } from "./nats/server-store.js";
import type { KV } from "@nats-io/kv";
import type { MismatchRecord } from "./core/mismatch-record.js";
import { EventStream } from "./nats/event-stream.js";
import { RepublishGuard } from "./nats/republish-guard.js";
import { RepublishWitness } from "./nats/republish-witness.js";
import {
  applicationRole,
  checkApplicationConnection,
  checkSystemConnection,
  connectionWho,
  permissionMessage,
  permissionViolation,
  probeEventPublish,
  StartupCheckError,
  systemRole,
} from "./nats/startup-check.js";
import type { UserInfo } from "./nats/user-info.js";
import { PingRounds } from "./core/ping-rounds.js";
import { errorCauses } from "./nats/error-causes.js";
import { BucketKeeper } from "./nats/bucket-keeper.js";
import { PermissionWatch, refusedVerb } from "./nats/permission-watch.js";
import { UpgradeGatekeeper } from "./nats/upgrade-gatekeeper.js";
import { AdvisorySource } from "./nats/advisory-source.js";
import { InventorySource } from "./nats/inventory-source.js";
import { AdvisoryBook } from "./core/advisory-book.js";
import { bundledAdvisories, bundledReleases } from "./data/bundled.js";
import { parseUpgradeRequest } from "./nats/upgrade-request.js";
import { ReachabilityTiming, clustersToProbe, unreachableServers } from "./core/reachability.js";
import { ProbeSettling } from "./core/probe-settling.js";
import { visibilityFigures, type Visibility, type VisibilityFigures } from "./core/visibility.js";
import { startMetrics, type MetricsEndpoint } from "./metrics/metrics-endpoint.js";

export interface MonitorOptions {
  readonly config: MonitorConfig;
  readonly log: Logger;
  /** The clock; injected so that policies can be tested without waiting. */
  readonly now?: () => number;
  /** Failpoint for crash tests: runs after a mismatch record write landed, before its event is offered. */
  readonly afterRecordWrite?: (record: MismatchRecord) => void;
}

/** After start, every server has answered the first ping well within this; only then are transitions judged. */
const WARMUP_MS = 1500;
const FORGET_CHECK_MS = 60_000;
/** A change is judged this long after it arrived (see #evaluateSoon). */
const EVALUATE_AFTER_CHANGE_MS = 10;
/** The upgrade gate gives the servers this long to answer its questions... */
const GATE_TIMEOUT_MS = 2000;
/** ...and reuses their answers this long. */
const GATE_CACHE_MS = 1000;
/** How often the bucket's existence is checked (besides after every failed write). */
const BUCKET_CHECK_MS = 1000;
/** After the server refused one of the system connection's publishes, unanswered probes prove nothing for this long. */
const PING_REFUSAL_MEMORY_MS = 60_000;
/** How long a warning about the service itself stays in the report. */
const OWN_WARNING_MS = 3_600_000;
/** How long the start-up ping waits for a first server to answer. */
const START_PING_TIMEOUT_MS = 3000;
/** How long start-up waits for JetStream to answer (leader elections) before giving up. */
const START_RETRY_MS = 120_000;

/** Errors of a JetStream that is there but not answering yet. */
function isTransient(err: unknown): boolean {
  return [...errorCauses(err)].some((e) => /timeout|timed out|temporarily unavailable|no responders|stalled|no suitable peers|peer offline|leader/i.test(`${e.name} ${e.message}`));
}
/** Connection failures that a NATS server still starting (or too busy to answer) produces. */
function cannotConnectYet(err: unknown): boolean {
  const text = [...errorCauses(err)].map((e) => `${e.name} ${e.message} ${(e as { code?: string }).code ?? ""}`).join(" ");
  if (/authori[sz]|authenticat|permission|tls|certificate|credential|nkey/i.test(text)) return false;
  return /refused|timeout|timed out|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|closed/i.test(text);
}
/** Waits between connection attempts at start-up: doubling from this... */
const CONNECT_RETRY_FIRST_MS = 500;
/** ...up to this, for as long as it takes. */
const CONNECT_RETRY_MAX_MS = 15_000;

/**
 * Both connections, or neither: if one fails, the other is closed (it would reconnect forever and
 * keep the process alive). A cluster that is not there yet, or too busy to answer, is waited for
 * with backoff and a warning at every attempt; a refusal of the credentials is final.
 */
async function connectBoth(config: MonitorConfig, log: Logger): Promise<[NatsConnection, NatsConnection]> {
  for (let attempt = 1; ; attempt++) {
    const [appResult, sysResult] = await Promise.allSettled([connectTo(config.app, "version-monitor"), connectTo(config.sys, "version-monitor-sys")]);
    if (appResult.status === "fulfilled" && sysResult.status === "fulfilled") return [appResult.value, sysResult.value];
    await Promise.allSettled([appResult, sysResult].map((r) => (r.status === "fulfilled" ? r.value.close() : undefined)));
    const [which, reason] = appResult.status === "rejected" ? ["application", appResult.reason] : ["system", (sysResult as PromiseRejectedResult).reason];
    const message = `${which} account connection failed: ${(reason as Error).message}`;
    if (!cannotConnectYet(reason)) throw new Error(message, { cause: reason });
    const delay = Math.min(CONNECT_RETRY_MAX_MS, CONNECT_RETRY_FIRST_MS * 2 ** (attempt - 1));
    log.warn({ err: message, attempt, retry_in_ms: delay, servers: (which === "application" ? config.app : config.sys).servers }, "cannot connect to NATS yet; trying again");
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** An event stored but not on its public subject this long after is one the stream did not republish. */
const REPUBLISH_GRACE_MS = 2000;
/** Without its own subscription at the store, an instance gives other instances' notes this long to land. */
const REPUBLISH_NOTED_GRACE_MS = 15_000;
/** A starting instance judges the events stored this long before it: every instance may have been down. */
const REPUBLISH_LOOKBACK_MS = 10 * 60_000;
/** The witness keeps what reached the public subjects longer than any instance looks back. */
const WITNESS_MAX_AGE_MS = 2 * REPUBLISH_LOOKBACK_MS;

/**
 * The running service: two connections (system account for $SYS, application account for KV,
 * endpoints and events), the in-memory fleet every report is answered from, and the adapters
 * around it. main.ts and the tests start it; nothing else reads a clock or the environment.
 */
export class VersionMonitor {
  readonly fleet: Fleet;
  readonly store: ServerStore;
  readonly collector: Collector;
  readonly tracker: MismatchTracker;
  readonly republish: RepublishGuard;
  readonly keeper: BucketKeeper;
  readonly permissions: PermissionWatch;
  readonly gatekeeper: UpgradeGatekeeper;
  readonly advisorySource: AdvisorySource;
  readonly inventory: InventorySource;
  #book = new AdvisoryBook(bundledAdvisories, bundledReleases);
  readonly reports: ReportShelf;
  #evaluation: NodeJS.Timeout | undefined;
  /** Bumped when the advisories or the inventory change: both show in reports. */
  #sourcesRevision = 0;
  readonly #rounds = new PingRounds();
  readonly #probes = new ProbeSettling(ReachabilityTiming.answerGraceMs);
  #service: Service | undefined;
  #metrics: MetricsEndpoint | undefined;
  #forgetTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(
    readonly config: MonitorConfig,
    readonly log: Logger,
    readonly now: () => number,
    readonly app: NatsConnection,
    readonly sys: NatsConnection,
    kv: KV,
    readonly events: EventStream,
    witness: RepublishWitness,
    afterRecordWrite?: (record: MismatchRecord) => void,
  ) {
    const fleetPolicy = { offlineAfterMs: config.offlineAfterMs };
    this.reports = new ReportShelf({
      log: log.child({ component: "reports" }),
      now,
      fleetPolicy,
      advisories: bundledAdvisories,
      sources: () => this.#reportSources(),
      context: () => this.#reportContext(),
      revision: () => this.#reportRevision(),
      behind: () => this.collector.behind,
    });
    // Started before the fleet takes its first change: the worker's copy is built from all of them.
    this.reports.start();
    this.fleet = new JournaledFleet(fleetPolicy, this.reports.journal);
    this.store = new ServerStore(kv, app, {
      bucket: config.bucket,
      log: log.child({ component: "store" }),
      resolveConflict: (ours, stored) => this.#resolveConflict(ours, stored),
      onWriteFailed: () => void this.keeper.check(),
      // Advertisements first: a server is in the report once taken in; its KV write can follow.
      holdWrites: () => this.collector.behind,
    });
    this.gatekeeper = new UpgradeGatekeeper(sys, this.fleet, {
      now,
      timeoutMs: GATE_TIMEOUT_MS,
      cacheMs: GATE_CACHE_MS,
      unreachable: (at) => this.#unreachable(at),
      observe: (obs) => this.#observe(obs),
    });
    this.advisorySource = new AdvisorySource(kv, {
      bundled: bundledAdvisories,
      log: log.child({ component: "advisories" }),
      onChange: (dataset) => {
        this.#book = new AdvisoryBook(dataset, bundledReleases);
        this.#sourcesRevision++;
        this.reports.advisories(dataset);
        this.tracker.requestEvaluation();
      },
    });
    this.inventory = new InventorySource(kv, log.child({ component: "inventory" }), () => {
      this.#sourcesRevision++;
      this.reports.inventory(this.inventory.current);
    });
    this.permissions = new PermissionWatch({ log: log.child({ component: "permissions" }), now });
    this.keeper = new BucketKeeper(app, {
      bucket: config.bucket,
      intervalMs: BUCKET_CHECK_MS,
      log: log.child({ component: "bucket" }),
      now,
      recreate: async () => {
        await openBucket(app, config.bucket, config.replicas, log);
        return { servers: this.store.rewriteAll([...this.fleet.records()]), mismatch_records: this.tracker.bucketRecreated() };
      },
    });
    this.tracker = new MismatchTracker(kv, app, this.fleet, events, {
      bucket: config.bucket,
      handoverMs: config.events.handoverMs,
      ...(afterRecordWrite ? { afterRecordWrite } : {}),
      policy: config.policy,
      offlineAfterMs: config.offlineAfterMs,
      evaluateIntervalMs: config.evaluateIntervalMs,
      warmupMs: WARMUP_MS,
      now,
      log: log.child({ component: "tracker" }),
      affected: (versions) => this.#book.affectedVersions(versions),
      judge: (at, since) => this.reports.judge(at, config.policy, since, () => this.tracker.judgeHere(at)),
    });
    this.republish = new RepublishGuard(app, kv, {
      stream: config.events.stream,
      graceMs: REPUBLISH_GRACE_MS,
      witness,
      lookbackMs: REPUBLISH_LOOKBACK_MS,
      notedGraceMs: REPUBLISH_NOTED_GRACE_MS,
      log: log.child({ component: "republish" }),
    });
    this.collector = new Collector(sys, {
      pollIntervalMs: config.pollIntervalMs,
      log: log.child({ component: "collector" }),
      onObservation: (obs) => this.#observe(obs),
      now,
      rounds: this.#rounds,
      probeTargets: (at) => this.reports.probeTargets(at, () => clustersToProbe(this.fleet, at)),
      onProbe: (cluster, at) => {
        this.fleet.noteProbe(cluster, at);
        this.#probes.sent(at);
      },
      onLeafLinks: (answer) => this.fleet.noteLeafLinks(answer.server, answer.links, this.now()),
    });
  }

  static async start(opts: MonitorOptions): Promise<VersionMonitor> {
    const { config, log } = opts;
    log.info({ app: describeConnection(config.app), sys: describeConnection(config.sys), bucket: config.bucket }, "starting");
    const [app, sys] = await connectBoth(config, log);
    const appRole = applicationRole(connectionWho(config.app));
    let userInfo: UserInfo | undefined;
    try {
      await checkSystemConnection(sys, {
        role: systemRole(connectionWho(config.sys)),
        timeoutMs: START_PING_TIMEOUT_MS,
        waitForServers: config.waitForServers,
        warnEveryMs: config.pollIntervalMs,
        log,
      });
      userInfo = await checkApplicationConnection(app, { role: appRole, bucket: config.bucket, stream: config.events.stream, log });
    } catch (err) {
      await Promise.allSettled([app.close(), sys.close()]);
      throw err;
    }
    const deadline = Date.now() + START_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      let monitor: VersionMonitor | undefined;
      try {
        const kv = await openBucket(app, config.bucket, config.replicas, log);
        const events = await EventStream.open(app, { ...config.events, name: config.events.stream, replicas: config.replicas, log: log.child({ component: "events" }) });
        const witness = await RepublishWitness.open(app, { eventStream: config.events.stream, replicas: config.replicas, maxAgeMs: WITNESS_MAX_AGE_MS, log: log.child({ component: "events" }) });
        if (!userInfo) await probeEventPublish(app, { role: appRole, bucket: config.bucket, stream: config.events.stream, log });
        monitor = new VersionMonitor(config, log, opts.now ?? Date.now, app, sys, kv, events, witness, opts.afterRecordWrite);
        await monitor.#run();
        return monitor;
      } catch (err) {
        if (monitor) await monitor.#halt();
        const denied = permissionViolation(err);
        if (denied) {
          await Promise.allSettled([app.close(), sys.close()]);
          throw new StartupCheckError(permissionMessage(appRole, denied.operation, denied.subject, "for its bucket, event stream and endpoints"));
        }
        // JetStream electing leaders (a cluster starting, a server restarting) answers late or not
        // at all for a while: wait for it. Anything else (permissions, a foreign stream) is final.
        if (!isTransient(err) || Date.now() > deadline) {
          await Promise.allSettled([app.close(), sys.close()]);
          throw err;
        }
        const delay = Math.min(5000, 250 * 2 ** attempt);
        log.warn({ err: (err as Error).message, attempt, retry_in_ms: delay }, "JetStream not ready; starting again");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Loads state first, so that the first report already knows every server's first-seen time. */
  async #run(): Promise<void> {
    // First: a metrics address that cannot be bound stops the start before anything else runs.
    this.#metrics = await startMetrics(this.config.metrics, {
      log: this.log.child({ component: "metrics" }),
      sources: {
        now: this.now,
        fleet: this.fleet,
        mismatch: this.tracker,
        advisories: () => this.#book,
        counters: () => ({ ingest: this.collector.stats, kv: this.store.stats, mismatch: this.tracker.stats, republish: this.republish.stats, bucketRecreations: this.keeper.recreations, reports: this.reports.stats }),
      },
    });
    this.permissions.watch(this.sys, "system");
    this.permissions.watch(this.app, "application");
    // How long each step of the start took, in the "service started" line: a slow start says where.
    const steps: Record<string, number> = {};
    let mark = performance.now();
    const step = async (name: string, run: () => Promise<unknown> | unknown) => {
      await run();
      const t = performance.now();
      steps[name] = Math.round(t - mark);
      mark = t;
    };
    await step("load_servers", async () => {
      for (const r of await this.store.loadAll()) this.fleet.set(r);
    });
    this.reports.loaded();
    this.log.info({ servers: this.fleet.size }, "loaded server state from KV");
    await step("advisories", () => this.advisorySource.start());
    await step("inventory", () => this.inventory.start());
    await step("republish", () => this.republish.start());
    await step("mismatch_records", () => this.tracker.start());
    await step("collector", () => this.collector.start());
    this.keeper.start();
    this.#forgetTimer = setInterval(() => void this.forgetSilentServers(), FORGET_CHECK_MS);
    this.#forgetTimer.unref();
    this.#service = await startReportService(this.app, {
      log: this.log.child({ component: "service" }),
      report: (body) => this.encodedReport(parseReportRequest(body)),
      events: (body) => this.encodedEvents(parseEventsRequest(body)),
      upgrade: async (body) => new TextEncoder().encode(JSON.stringify(await this.gatekeeper.answer(parseUpgradeRequest(body)))),
      stats: () => this.stats(),
    });
    // The endpoint's subscription is at the server before start() resolves.
    await this.app.flush();
    steps["service"] = Math.round(performance.now() - mark);
    const info = this.#service.info();
    this.log.info({ service: info.name, version: info.version, id: info.id, startup_ms: steps }, "service started");
  }

  /** Drops servers silent for longer than --forget-after, from memory and KV; returns their names. */
  async forgetSilentServers(): Promise<string[]> {
    const gone = this.fleet.forget(this.now(), this.config.forgetAfterMs);
    for (const r of gone) {
      await this.store.remove(r);
    }
    if (gone.length > 0) this.log.info({ servers: gone.map((r) => r.name).slice(0, 20), count: gone.length }, "forgot servers not heard from");
    return gone.map((r) => r.name);
  }

  get service(): Service | undefined {
    return this.#service;
  }

  /**
   * A change is judged a moment later, not at once: a request that arrives with the change is
   * answered first (judging, writing the scope's record and publishing its event took the main
   * thread for about 3 ms, and a request arriving meanwhile waited), and a burst of changes is
   * judged once.
   */
  #evaluateSoon(): void {
    if (this.#evaluation) return;
    this.#evaluation = setTimeout(() => {
      this.#evaluation = undefined;
      this.tracker.requestEvaluation();
    }, EVALUATE_AFTER_CHANGE_MS);
    this.#evaluation.unref();
  }

  #observe(obs: ServerObservation): void {
    const now = this.now();
    const prevId = this.fleet.processId(obs.name);
    // Not destructured: the record is made only when read, and a repeat mostly needs none.
    const seen = this.fleet.observe(obs, now);
    if (seen.outcome === ObserveOutcome.Duplicate) {
      this.log.warn({ server: obs.name, id: obs.id, current: seen.record.id }, "two live servers advertise the same name");
      return;
    }
    if (seen.outcome === ObserveOutcome.Material) {
      const record = seen.record;
      if (prevId !== record.id && record.go === undefined) this.collector.pingVarz(record.name);
      this.store.save(record);
      this.#evaluateSoon();
    } else if (now - (this.store.savedLastSeen(obs.name) ?? 0) >= this.config.lastSeenFlushMs) {
      this.store.save(seen.record);
    }
  }

  #resolveConflict(ours: ServerRecord, stored: ServerRecord): ServerRecord {
    const current = this.fleet.get(ours.name) ?? ours;
    const merged = mergeRecords(current, stored);
    this.fleet.set(merged);
    return merged;
  }

  report(query: ReportQuery = {}, limits: ReportLimits = defaultReportLimits): VersionReport {
    const ctx = this.#reportContext();
    return buildReport(this.fleet, ctx.now, query, reportOptions(this.#reportSources(), ctx, limits, visibilityOf(this.fleet, ctx)));
  }

  /** Warnings about the service itself, before the servers'. */
  #ownWarnings(now: number): Warning[] {
    const out: Warning[] = this.permissions.recent(OWN_WARNING_MS).map((d) => ({
      kind: "permission-denied" as const,
      server: "",
      detail: `the ${d.connection} connection may not ${refusedVerb(d.operation)} ${JSON.stringify(d.subject)} (refused ${d.count} time(s) since ${new Date(d.since).toISOString()}, last at ${new Date(d.last).toISOString()}): restore the permission in the accounts configuration (nats-conf/accounts.conf shows what the service needs)`,
    }));
    const recreated = this.keeper.lastRecreatedAt;
    if (recreated !== undefined && now - recreated < OWN_WARNING_MS) {
      out.push({
        kind: "bucket-recreated",
        server: "",
        detail: `the KV bucket ${JSON.stringify(this.config.bucket)} was deleted; it was created again at ${new Date(recreated).toISOString()} with what the service held in memory (history older than that is gone)`,
      });
    }
    return out;
  }

  /** What the monitor sees of the system now: answers to its last ping, unreachable servers. */
  visibility(now = this.now()): Visibility {
    return visibilityOf(this.fleet, { now, lastPing: this.#rounds.last(now), pingsRefused: this.#pingsRefused() });
  }

  /** Visibility assessed on this thread, before the worker's first rendering; the digests it made are not kept (see Fleet.releaseDigests). */
  #visibilityHere(): VisibilityFigures {
    const figures = visibilityFigures(this.visibility());
    if (this.reports.hasWorker) this.fleet.releaseDigests();
    return figures;
  }

  #reportSources(): ReportSources {
    return { fleet: this.fleet, book: this.#book, inventory: this.inventory.current };
  }

  /** Unreachable servers, unless the server refuses the pings that would show them reachable. */
  #unreachable(now: number): Map<string, number> {
    return unreachableServers(this.fleet, now, !this.#pingsRefused());
  }

  #pingsRefused(): boolean {
    return this.permissions.recent(PING_REFUSAL_MEMORY_MS).some((d) => d.connection === "system" && d.operation === "publish");
  }

  /** The encoded reply to `versions.report`, from the report shelf: never waits for a build (see ReportShelf). */
  encodedReport(query: ReportQuery): Uint8Array {
    return this.reports.serve(query);
  }

  #reportContext(): ReportContext {
    const now = this.now();
    return {
      now,
      policy: this.config.policy,
      since: this.tracker.sinceByScope(),
      lastPing: this.#rounds.last(now),
      pingsRefused: this.#pingsRefused(),
      warnings: this.#ownWarnings(now),
      maxPayload: this.app.info?.max_payload ?? 1024 * 1024,
    };
  }

  /** Everything besides the clock that a report shows; a new value makes the shelf render again. */
  #reportRevision(): string {
    const now = this.now();
    const ping = this.#rounds.last(now);
    const own = this.permissions.recent(OWN_WARNING_MS).reduce((n, d) => n + d.count, 0);
    return `${this.fleet.revision}/${this.#probes.settled(now)}/${this.tracker.revision}/${this.#sourcesRevision}/${ping?.id ?? ""}:${ping?.answered.size ?? 0}/${own}/${this.keeper.recreations}`;
  }

  /** A page of event history, never larger than max_payload: the page shrinks until it fits. */
  async encodedEvents(query: HistoryQuery): Promise<Uint8Array> {
    const max = this.app.info?.max_payload ?? 1024 * 1024;
    for (let limit = query.limit; ; limit = Math.floor(limit / 2)) {
      const bytes = new TextEncoder().encode(JSON.stringify(await this.events.history({ ...query, limit })));
      if (bytes.length <= max) return bytes;
      if (limit <= 1) throw new RequestError(`one event does not fit the connection's max_payload of ${max} bytes`, 413);
    }
  }

  stats(): Record<string, unknown> {
    const memory = process.memoryUsage();
    return {
      servers: this.fleet.size,
      memory: { rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed, report_worker_heap_bytes: this.reports.stats.worker_heap_bytes },
      // From the latest rendering: assessing the whole fleet here would hold up the event loop at scale.
      visibility: this.reports.visibility ?? this.#visibilityHere(),
      ingest: this.collector.stats,
      kv: this.store.stats,
      mismatch: this.tracker.stats,
      republish: this.republish.stats,
      bucket_recreations: this.keeper.recreations,
      upgrade_gate: this.gatekeeper.stats,
      reports: this.reports.stats,
      permission_denials: this.permissions.recent(OWN_WARNING_MS).map((d) => ({ connection: d.connection, operation: d.operation, subject: d.subject, count: d.count })),
    };
  }

  /** Drains a connection; if that fails, closes it anyway, so that it never reconnects on its own. */
  async #close(nc: NatsConnection): Promise<void> {
    try {
      await nc.drain();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "drain failed; closing");
    }
    if (!nc.isClosed()) await nc.close();
  }

  /** Drains the endpoints, stops collecting, flushes pending KV writes and closes both connections. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.log.info("stopping");
      await this.#halt();
      await Promise.all([this.app, this.sys].map((nc) => this.#close(nc)));
      this.log.info("stopped");
    })();
    return this.#stopping;
  }

  /** Stops everything that runs on the connections, leaving them open; safe after a partial start. */
  async #halt(): Promise<void> {
    await this.#metrics?.stop();
    await this.#service?.stop().catch(() => undefined);
    await this.reports.stop();
    this.collector.stop();
    clearInterval(this.#forgetTimer);
    clearTimeout(this.#evaluation);
    await this.keeper.stop();
    this.permissions.stop();
    await this.advisorySource.stop();
    await this.inventory.stop();
    await this.tracker.stop();
    await this.republish.stop();
    await this.store.close();
  }
}
