import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { createInbox } from "@nats-io/nats-core";
import type { Logger } from "pino";
import { ObservationKind, type ServerObservation } from "../core/observation.js";
import { AdvertisementError, parseLeafz, parseLifecycle, parseStatsz, parseVarz, RejectReason, type LeafzAnswer } from "./advertisement.js";
import { INBOX_PREFIX } from "./connect.js";
import { Fifo } from "./fifo.js";
import type { PingRounds } from "../core/ping-rounds.js";

/** The $SYS subjects the collector reads and sends; nats-conf/ grants the monitor exactly these. */
export const SysSubject = {
  Statsz: "$SYS.SERVER.*.STATSZ",
  LameDuck: "$SYS.SERVER.*.LAMEDUCK",
  Shutdown: "$SYS.SERVER.*.SHUTDOWN",
  /** With a reply subject every server answers with its STATSZ. */
  Ping: "$SYS.REQ.SERVER.PING",
  PingVarz: "$SYS.REQ.SERVER.PING.VARZ",
  /** Every server answers with its leafnode connections: how leaves without a system-account link are known at all. */
  PingLeafz: "$SYS.REQ.SERVER.PING.LEAFZ",
} as const;

export interface CollectorOptions {
  readonly pollIntervalMs: number;
  readonly log: Logger;
  readonly onObservation: (obs: ServerObservation) => void;
  readonly now: () => number;
  /** Counts the answers to each ping. */
  readonly rounds: PingRounds;
  /** Clusters whose servers should be asked for a fresh STATSZ now (see core/reachability.ts). */
  readonly probeTargets: (now: number) => readonly string[] | Promise<readonly string[]>;
  readonly onProbe: (cluster: string, now: number) => void;
  /** A server's leafnode connections, from its answer to a LEAFZ ping. */
  readonly onLeafLinks?: (answer: LeafzAnswer) => void;
  /** Messages read and waiting at most (default MAX_QUEUED). */
  readonly maxQueued?: number;
}

/**
 * Messages are read off the connection at once and processed in slices of this long, each followed
 * by a turn of the event loop: a burst of 100,000 advertisements otherwise held up every request
 * for as long as the backlog took.
 */
const INGEST_SLICE_MS = 4;
/**
 * Messages read and waiting at most (about 250 MB of advertisements): past it, new ones are
 * dropped, counted and made up for by a ping.
 */
const MAX_QUEUED = 250_000;

/** How often the collector looks for clusters to probe. */
const PROBE_TICK_MS = 500;
/**
 * Past this many advertisements waiting to be taken in, the collector is behind (see `behind`).
 * Then no cluster is probed: a server is heard when its advertisement is taken in, so a backlog
 * makes servers look silent that are not. After a burst of 100,000 new servers, the backlog's
 * growing lag made most of them look overdue: 43,665 probes, each a request to every server of the
 * system, while the service was already behind. The monitor also holds KV writes back meanwhile.
 */
export const BEHIND_BACKLOG = 1000;
/** The reply token of probe answers, which belong to no ping round. */
const PROBE_TOKEN = "probe";
/**
 * Servers that need a VARZ (new, or restarted: only VARZ says their Go version) are asked for it
 * together, this long after the first of them. A request with a `server_name` filter goes to every
 * server of the system, each of which looks at the filter: a burst of 100,000 new servers sent
 * 100,000 of them, each to every server.
 */
const VARZ_BATCH_MS = 200;
/** Up to this many are asked by name; more are asked with one request that every server answers. */
const VARZ_BY_NAME_MAX = 16;
/** One such request at most this often (the regular poll asks every server every poll interval anyway). */
const VARZ_EVERYONE_GAP_MS = 5000;

export interface CollectorStats {
  readonly received: Record<ObservationKind, number>;
  readonly rejected: Record<RejectReason, number>;
  pings: number;
  probes: number;
  /** Answers to LEAFZ pings. */
  leafz: number;
  /**
   * Times the system connection was lost. A server closes a connection that falls behind (a slow
   * consumer: more than max_pending bytes waiting, or a write deadline missed), and whatever was in
   * flight to it is gone; every server is pinged again once it is back.
   */
  disconnects: number;
  /** Read and waiting to be processed now. */
  queued: number;
  /** Dropped because maxQueued were waiting (every server is pinged again once the backlog is gone). */
  dropped: number;
}

type Parser = (data: Uint8Array) => ServerObservation;

interface Listener {
  readonly subject: string;
  readonly parse?: Parser;
  /** Messages that are not observations of a server (LEAFZ answers). */
  readonly take?: (msg: Msg) => void;
}

/**
 * Reads every server's advertisements from the system account: STATSZ as they are published (a
 * new version is seen at the server's first advertisement, not at the next poll), LAMEDUCK and
 * SHUTDOWN events, and answers to the pings it sends at start, periodically and after a reconnect.
 */
export class Collector {
  readonly stats: CollectorStats = {
    received: { stats: 0, varz: 0, "lame-duck": 0, shutdown: 0 },
    rejected: { "too-large": 0, "not-json": 0, "not-object": 0, "missing-server": 0, "bad-field": 0, "bad-version": 0 },
    pings: 0,
    probes: 0,
    leafz: 0,
    disconnects: 0,
    queued: 0,
    dropped: 0,
  };
  /** Read, not yet processed. */
  readonly #queue = new Fifo<{ msg: Msg; parse: Parser }>();
  #draining = false;
  /** Something was dropped since the backlog was last empty. */
  #overflowed = false;
  readonly #subs: Subscription[] = [];
  readonly #listeners: Listener[] = [];
  readonly #dead = new Set<Listener>();
  readonly #statsInbox = createInbox(INBOX_PREFIX);
  readonly #varzInbox = createInbox(INBOX_PREFIX);
  readonly #leafzInbox = createInbox(INBOX_PREFIX);
  #timer: NodeJS.Timeout | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  /** Servers to ask for their VARZ at the next batch (see VARZ_BATCH_MS). */
  #varzWanted = new Set<string>();
  #varzTimer: NodeJS.Timeout | undefined;
  #varzEveryoneAt = -Infinity;
  /** A probe check is under way (on the report worker): the next tick does not start another. */
  #probing = false;
  #stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: CollectorOptions,
  ) {}

  async start(): Promise<void> {
    const lifecycle = (kind: typeof ObservationKind.LameDuck | typeof ObservationKind.Shutdown): Parser => (d) => parseLifecycle(kind, d);
    this.#listen(SysSubject.Statsz, parseStatsz);
    this.#listen(SysSubject.LameDuck, lifecycle(ObservationKind.LameDuck));
    this.#listen(SysSubject.Shutdown, lifecycle(ObservationKind.Shutdown));
    // Ping answers come back on long-lived inboxes of our own and flow through the same path as
    // advertisements: nothing waits for "all" servers, which nobody can know.
    this.#listen(`${this.#statsInbox}.*`, parseStatsz);
    this.#listen(this.#varzInbox, parseVarz);
    this.#listeners.push({ subject: this.#leafzInbox, take: (msg) => this.#leafz(msg) });
    this.#subscribe(this.#listeners.at(-1)!);
    await this.nc.flush();
    this.ping();
    this.#timer = setInterval(() => {
      this.#resubscribe();
      this.ping();
    }, this.opts.pollIntervalMs);
    this.#timer.unref();
    this.#probeTimer = setInterval(() => void this.#probe(), PROBE_TICK_MS);
    this.#probeTimer.unref();
    void this.#watchStatus();
  }

  /** Asks every server for its STATSZ and VARZ now. */
  ping(): void {
    if (this.#stopped || this.nc.isClosed()) return;
    this.stats.pings++;
    const round = this.opts.rounds.begin(this.opts.now());
    this.nc.publish(SysSubject.Ping, "", { reply: `${this.#statsInbox}.${round}` });
    this.#requestVarz("");
    if (this.opts.onLeafLinks) this.nc.publish(SysSubject.PingLeafz, "", { reply: this.#leafzInbox });
  }

  /** Parses untrusted $SYS bytes; what does not parse is counted by reason and skipped. */
  #parsed<T>(msg: Msg, parse: (data: Uint8Array) => T): T | undefined {
    try {
      return parse(msg.data);
    } catch (err) {
      const reason = err instanceof AdvertisementError ? err.reason : RejectReason.BadField;
      this.stats.rejected[reason]++;
      this.opts.log.debug({ subject: msg.subject, reason, err: (err as Error).message }, "ignoring a malformed $SYS message");
      return undefined;
    }
  }

  #leafz(msg: Msg): void {
    const answer = this.#parsed(msg, parseLeafz);
    if (!answer) return;
    this.stats.leafz++;
    this.opts.onLeafLinks?.(answer);
  }

  /** More advertisements wait to be taken in than BEHIND_BACKLOG. */
  get behind(): boolean {
    return this.#queue.size > BEHIND_BACKLOG;
  }

  /** Asks the servers of clusters where one went quiet for a fresh STATSZ: who answers, whom they route to. */
  async #probe(): Promise<void> {
    if (this.#stopped || this.nc.isClosed() || this.#probing || this.behind) return;
    const now = this.opts.now();
    this.#probing = true;
    let targets: readonly string[];
    try {
      targets = await this.opts.probeTargets(now);
    } finally {
      this.#probing = false;
    }
    if (this.#stopped || this.nc.isClosed()) return;
    for (const cluster of targets) {
      this.stats.probes++;
      // The server filters by substring of the cluster name: other clusters' answers are just more news.
      this.nc.publish(SysSubject.Ping, cluster === "" ? "" : JSON.stringify({ cluster }), { reply: `${this.#statsInbox}.${PROBE_TOKEN}` });
      this.opts.onProbe(cluster, now);
    }
  }

  /** Asks a server for its VARZ (go version, git commit), e.g. after it restarted: soon, with others (see VARZ_BATCH_MS). */
  pingVarz(serverName: string): void {
    if (this.#stopped) return;
    this.#varzWanted.add(serverName);
    this.#varzTimer ??= setTimeout(() => this.#askVarz(), VARZ_BATCH_MS);
  }

  #askVarz(): void {
    this.#varzTimer = undefined;
    if (this.#stopped || this.nc.isClosed() || this.#varzWanted.size === 0) return;
    if (this.#varzWanted.size <= VARZ_BY_NAME_MAX) {
      for (const name of this.#varzWanted) this.#requestVarz(JSON.stringify({ server_name: name }));
      this.#varzWanted.clear();
      return;
    }
    const wait = this.#varzEveryoneAt + VARZ_EVERYONE_GAP_MS - performance.now();
    if (wait > 0) {
      this.#varzTimer = setTimeout(() => this.#askVarz(), wait);
      return;
    }
    this.#varzEveryoneAt = performance.now();
    this.#varzWanted.clear();
    this.#requestVarz("");
  }

  /** VARZ of every server (an empty body) or of the one a `server_name` filter names; answers come to the VARZ inbox. */
  #requestVarz(body: string): void {
    this.nc.publish(SysSubject.PingVarz, body, { reply: this.#varzInbox });
  }

  #listen(subject: string, parse: Parser): void {
    const listener = { subject, parse };
    this.#listeners.push(listener);
    this.#subscribe(listener);
  }

  #subscribe(l: Listener): void {
    if (this.#stopped) return;
    const sub = this.nc.subscribe(l.subject, { callback: (err, msg) => (err ? this.#subError(l.subject, err) : l.take ? l.take(msg) : this.#enqueue(msg, l.parse!)) });
    this.#subs.push(sub);
  }

  #enqueue(msg: Msg, parse: Parser): void {
    const max = this.opts.maxQueued ?? MAX_QUEUED;
    if (this.#queue.size >= max) {
      this.stats.dropped++;
      if (!this.#overflowed) this.opts.log.warn({ queued: max }, "advertisements arrive faster than they are processed: dropping new ones until the backlog is gone, then pinging every server");
      this.#overflowed = true;
      return;
    }
    this.#queue.push({ msg, parse });
    this.stats.queued = this.#queue.size;
    if (!this.#draining) {
      this.#draining = true;
      setImmediate(() => this.#drain());
    }
  }

  #drain(): void {
    const end = performance.now() + INGEST_SLICE_MS;
    while (this.#queue.size > 0 && !this.#stopped) {
      const { msg, parse } = this.#queue.shift()!;
      this.#handle(msg, parse);
      if (performance.now() >= end) break;
    }
    if (this.#stopped) this.#queue.clear();
    this.stats.queued = this.#queue.size;
    if (this.stats.queued > 0) {
      setImmediate(() => this.#drain());
      return;
    }
    this.#draining = false;
    if (this.#overflowed) {
      this.#overflowed = false;
      this.opts.log.info({ dropped: this.stats.dropped }, "backlog processed; pinging every server for what was dropped");
      this.ping();
    }
  }

  #handle(msg: Msg, parse: Parser): void {
    const obs = this.#parsed(msg, parse);
    if (!obs) return;
    this.stats.received[obs.kind]++;
    if (msg.subject.startsWith(this.#statsInbox + ".")) {
      const token = msg.subject.slice(this.#statsInbox.length + 1);
      if (token !== PROBE_TOKEN) this.opts.rounds.answered(token, obs.name);
    }
    this.opts.onObservation(obs);
    // A server that is shutting down is gone; ask the rest so the picture is complete at once.
    if (obs.kind === ObservationKind.Shutdown) this.ping();
  }

  /** A refused subscription is tried again every poll interval; the refusal itself is logged once, elsewhere. */
  #subError(subject: string, err: Error): void {
    this.opts.log.debug({ subject, err: err.message }, "subscription refused; trying again at the next poll");
    const entry = this.#listeners.find((l) => l.subject === subject);
    if (entry) this.#dead.add(entry);
  }

  #resubscribe(): void {
    if (this.#dead.size === 0) return;
    for (let i = this.#subs.length - 1; i >= 0; i--) if (this.#subs[i]!.isClosed()) this.#subs.splice(i, 1);
    for (const l of this.#dead) {
      this.#dead.delete(l);
      this.#subscribe(l);
    }
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (this.#stopped) return;
      if (s.type === "reconnect") {
        this.opts.log.info({ server: s.server }, "system connection reconnected; pinging all servers");
        this.ping();
      } else if (s.type === "disconnect") {
        this.stats.disconnects++;
        this.opts.log.warn(
          { server: s.server, disconnects: this.stats.disconnects },
          "system connection lost; reconnecting (advertisements in flight are lost: if the server's log says Slow Consumer, it closed the connection for falling behind; every server is pinged again on reconnect)",
        );
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#probeTimer) clearInterval(this.#probeTimer);
    clearTimeout(this.#varzTimer);
    for (const s of this.#subs) s.unsubscribe();
  }
}
