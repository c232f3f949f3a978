import { nuid, type QueuedIterator } from "@nats-io/nats-core";
import type { KV, KvWatchEntry } from "@nats-io/kv";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Logger } from "pino";
import type { Fleet } from "../core/fleet.js";
import { buildMismatchEvent, type AffectedVersion, type MismatchEvent } from "../core/mismatch-event.js";
import { judgeScope, judgeScopes, type ScopeVerdict, type VersionCount } from "../core/scope-verdict.js";
import type { MismatchPolicy } from "../core/mismatch-policy.js";
import { decodeMismatchRecord, encodeMismatchRecord, clusterOfScope, recordFromEvent, type MismatchRecord } from "../core/mismatch-record.js";
import { MismatchState } from "../core/mismatch-state.js";
import { eventChain, nextTransition } from "../core/mismatch-transition.js";
import { analyzeScope } from "../core/scope-analysis.js";
import { decodeKeyToken, encodeKeyToken } from "../core/server-key.js";
import type { EventStream } from "./event-stream.js";
import { scanLatest } from "./kv-scan.js";
import { boundedAll } from "./bounded-all.js";

const KEY_PREFIX = "mismatch.";
/**
 * Scopes settled (or checked against the stream) at a time. Each scope's writes stay in order
 * (one settle per scope per pass); scopes are independent of each other. One at a time, an edge
 * fleet's 10,000 new mismatches (each a KV write and a publish, a round trip apiece) were stored
 * 70-77 s after a burst of 100,000 servers; 16 at a time, 50 s. The rest is this thread's share
 * beside 100,000 servers' advertisements (10,000 a second, half of it).
 */
const SCOPES_AT_ONCE = 16;
const WATCH_RETRY_MS = 1000;

export interface TrackerOptions {
  readonly bucket: string;
  readonly policy: MismatchPolicy;
  readonly offlineAfterMs: number;
  /** Time-driven transitions (stalled, stale, servers going offline) are checked this often. */
  readonly evaluateIntervalMs: number;
  /** After start, wait this long for every server's first answer before judging anything. */
  readonly warmupMs: number;
  /**
   * A record written by another instance whose event is not known to be stored is delivered by
   * this one after this long (the writer may have died between its write and its publish).
   */
  readonly handoverMs: number;
  readonly now: () => number;
  readonly log: Logger;
  /** Failpoint for tests: runs after this instance's record write landed, before its event is offered. */
  readonly afterRecordWrite?: (record: MismatchRecord) => void;
  /** The versions among a scope's that known advisories affect (the dataset in use). */
  readonly affected?: (versions: readonly VersionCount[]) => AffectedVersion[];
  /**
   * Judges every scope of the fleet as of `now` with these durable mismatch starts; by default here,
   * from `fleet`. The service hands it to the report worker, so that an evaluation of a large fleet
   * never holds up the event loop (and the requests waiting on it).
   */
  readonly judge?: (now: number, since: ReadonlyMap<string, number>) => Promise<readonly ScopeVerdict[]>;
}

export interface TrackerStats {
  evaluations: number;
  /** Events this instance offered and the stream stored for the first time, by type. */
  published: Record<string, number>;
  /** Offers the stream had already stored (another instance, or a lost acknowledgement). */
  duplicates: number;
  /** Events of records other instances wrote that this one found undelivered and delivered. */
  handovers: number;
  conflicts: number;
  deferred: number;
  /** Record writes that landed after a newer one and took a scope back; repaired. */
  lateWrites: number;
  watchRestarts: number;
}

interface Held {
  /** Undefined when the stored value does not decode: the next transition overwrites it. */
  record: MismatchRecord | undefined;
  revision: number;
  /** The stored record is older than this one (a late write): write this one back. */
  repair?: boolean;
}

/** A key's newest entry, read from the bucket's stream leader. */
interface Current {
  readonly revision: number;
  readonly operation: string;
  readonly value: Uint8Array;
}

/** The newest event of a scope known to be in the stream. */
interface Delivered {
  readonly chain: string;
  readonly seq: number;
}


/**
 * Turns the fleet's state into mismatch transitions and delivers each event exactly once, with
 * any number of instances, crashes and lost acknowledgements:
 * 1. the transition is written to the scope's KV record with compare-and-set, carrying its event
 *    and the writer's identity (so a write whose acknowledgement was lost is recognised as ours);
 * 2. the event is offered to the event stream with its id as `Nats-Msg-Id`; the stream stores it
 *    once and republishes it onto the public subjects;
 * 3. every instance follows the records (KV watch); one whose event is not in the stream after
 *    `handoverMs` is delivered by whoever notices, after checking the stream for it;
 * 4. a scope's next transition is written only once its previous event is in the stream, so each
 *    scope's events are stored in order, with no gap;
 * 5. records of a scope are ordered by their sequence, not by KV revision: a compare-and-set that
 *    the server stores late (seen while stream leaders move) cannot take a scope back, because
 *    every instance keeps the record with the higher sequence and writes it back, and a record
 *    behind the stream's newest event of its scope is rebuilt from that event.
 */
export class MismatchTracker {
  readonly stats: TrackerStats = { evaluations: 0, published: {}, duplicates: 0, handovers: 0, conflicts: 0, deferred: 0, lateWrites: 0, watchRestarts: 0 };
  readonly #held = new Map<string, Held>();
  readonly #delivered = new Map<string, Delivered>();
  /** Scopes whose record's event must be checked, and from when (monotonic ms). */
  readonly #handover = new Map<string, number>();
  readonly #instance = nuid.next();
  #writes = 0;
  #jsm: JetStreamManager | undefined;
  #timer: NodeJS.Timeout | undefined;
  #warm: NodeJS.Timeout | undefined;
  #watcher: QueuedIterator<KvWatchEntry> | undefined;
  /** The revision the KV watch resumes from when it is started again. */
  #followNext = 1;
  #following: Promise<void> | undefined;
  #ready = false;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #revision = 0;
  /** Counts changes to what is held, for sinceByScope's copy. */
  #heldChanges = 0;
  #since: { readonly at: number; readonly map: ReadonlyMap<string, number> } | undefined;

  /** Bumped whenever a held record changes; part of the report cache's key. */
  get revision(): number {
    return this.#revision;
  }

  constructor(
    private readonly kv: KV,
    private readonly nc: NatsConnection,
    private readonly fleet: Fleet,
    private readonly events: EventStream,
    private readonly opts: TrackerOptions,
  ) {}

  /** Loads the durable records, follows other instances' writes, then judges once the warm-up has passed. */
  async start(): Promise<void> {
    const from = (await this.kv.status()).streamInfo.state.last_seq + 1;
    await scanLatest(this.nc, this.opts.bucket, KEY_PREFIX, (key, revision, data) => this.#hold(key, revision, data));
    // A record found at start may be one whose writer died before delivering it, or one that a late
    // write took back behind the event stream: each is checked against the stream once.
    for (const scope of this.#held.keys()) this.#handover.set(scope, 0);
    this.#following = this.#follow(from);
    this.#warm = setTimeout(() => {
      this.#ready = true;
      this.requestEvaluation();
    }, this.opts.warmupMs);
    this.#timer = setInterval(() => this.requestEvaluation(), this.opts.evaluateIntervalMs);
    this.#timer.unref();
    this.requestEvaluation();
  }

  /**
   * Takes a record read from KV (scan or watch) unless this instance already holds a newer one.
   * `current` says the revision is the key's latest for sure (read back after a failed
   * compare-and-set), even if lower than the one held: a stream can lose its newest messages.
   */
  #hold(key: string, revision: number, data: Uint8Array | undefined, current = false): void {
    const scope = decodeKeyToken(key.slice(KEY_PREFIX.length));
    if (scope === undefined) return;
    const held = this.#held.get(scope);
    if (held && held.revision >= revision && !current) return;
    this.#revision++;
    if (data === undefined) {
      // Deleted or purged: the chain held here goes on after the marker.
      if (held) this.#keepHeld(scope, { ...held, revision });
      return;
    }
    const record = decodeMismatchRecord(data);
    if (!record) this.opts.log.warn({ key, revision }, "a mismatch record does not decode; the next transition overwrites it");
    if (record && held?.record && record.seq < held.record.seq) {
      // A compare-and-set that the server let through late (while a stream leader moved) took the
      // scope back to an older record: the newer one stands, and is written back.
      this.#lateWrite(scope, held.record, revision);
      return;
    }
    this.#keepHeld(scope, { record, revision });
    if (record?.event && !this.#isDelivered(record.event)) {
      this.#handover.set(scope, performance.now() + this.opts.handoverMs);
      setTimeout(() => this.requestEvaluation(), this.opts.handoverMs + 10).unref();
    }
  }

  /**
   * The key's newest entry as the bucket's stream leader has it. Not `kv.get`: that reads directly
   * from any replica, and one that is behind returns a revision no compare-and-set can match.
   */
  async #readCurrent(key: string): Promise<Current | null> {
    this.#jsm ??= await jetstreamManager(this.nc);
    const m = await this.#jsm.streams.getMessage(`KV_${this.opts.bucket}`, { last_by_subj: `$KV.${this.opts.bucket}.${key}` });
    if (!m) return null;
    return { revision: m.seq, operation: m.header?.get("KV-Operation") || "PUT", value: m.data };
  }

  /**
   * Takes what a read after a failed compare-and-set found as the key's current state. A key that
   * is gone (purged, or lost) keeps the chain held here: the next write continues it at revision 0
   * or after the delete marker.
   */
  #refreshed(key: string, stored: Current | null): void {
    if (stored?.operation === "PUT") return this.#hold(key, stored.revision, stored.value, true);
    const scope = decodeKeyToken(key.slice(KEY_PREFIX.length));
    const held = scope === undefined ? undefined : this.#held.get(scope);
    if (held) this.#keepHeld(scope!, { ...held, revision: stored?.revision ?? 0 });
  }

  #lateWrite(scope: string, newer: MismatchRecord, revision: number): void {
    this.stats.lateWrites++;
    this.opts.log.warn({ scope, seq: newer.seq }, "a late write took a mismatch record back; writing the newer one back");
    this.#keepHeld(scope, { record: newer, revision, repair: true });
    queueMicrotask(() => this.requestEvaluation());
  }

  /** Follows every instance's record writes; an ordered consumer that dies is started again where it stopped. */
  async #follow(from: number): Promise<void> {
    this.#followNext = from;
    while (!this.#stopped) {
      try {
        this.#watcher = await this.kv.watch({ key: `${KEY_PREFIX}>`, resumeFromRevision: this.#followNext });
        if (this.#stopped) this.#watcher.stop();
        for await (const e of this.#watcher) {
          this.#followNext = e.revision + 1;
          this.#hold(e.key, e.revision, e.operation === "PUT" ? e.value : undefined);
        }
      } catch (err) {
        if (!this.#stopped) this.opts.log.warn({ err: (err as Error).message }, "following mismatch records failed; starting again");
      }
      if (this.#stopped) return;
      this.stats.watchRestarts++;
      await new Promise((r) => setTimeout(r, WATCH_RETRY_MS));
    }
  }

  /**
   * The bucket was deleted and created again, empty: every record held is written back (as a
   * create), and following starts again from the first revision. Returns how many are written.
   */
  bucketRecreated(): number {
    let n = 0;
    for (const [scope, held] of this.#held) {
      if (!held.record) continue;
      this.#keepHeld(scope, { ...held, revision: 0, repair: true });
      n++;
    }
    this.#revision++;
    this.#followNext = 1;
    this.#watcher?.stop();
    this.requestEvaluation();
    return n;
  }

  /** The durable start of a scope's current mismatch, for reports. */
  readonly sinceOf = (scope: string): number | undefined => {
    const r = this.#held.get(scope)?.record;
    return r && r.state !== MismatchState.Consistent ? r.since : undefined;
  };

  /**
   * Every scope's durable mismatch start, for a report rendered elsewhere (the report worker). The
   * same map until something held changes: it is asked for with every rendering and evaluation, and
   * reading 33,000 held records each time was ~1 % of the main thread in a burst.
   */
  sinceByScope(): ReadonlyMap<string, number> {
    if (this.#since?.at === this.#heldChanges) return this.#since.map;
    const out = new Map<string, number>();
    for (const scope of this.#held.keys()) {
      const since = this.sinceOf(scope);
      if (since !== undefined) out.set(scope, since);
    }
    this.#since = { at: this.#heldChanges, map: out };
    return out;
  }

  /** Every change to what is held goes through here. */
  #keepHeld(scope: string, held: Held): void {
    this.#held.set(scope, held);
    this.#heldChanges++;
  }

  record(scope: string): MismatchRecord | undefined {
    return this.#held.get(scope)?.record;
  }

  /** Asks for an evaluation as soon as possible; bursts of requests coalesce into one. */
  requestEvaluation(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.#repair();
          await this.#handOver();
          if (this.#ready) await this.evaluate();
        } catch (err) {
          this.opts.log.warn({ err: (err as Error).message }, "mismatch evaluation failed; retrying at the next change or tick");
        }
      } while (this.#again && !this.#stopped);
    })().finally(() => (this.#running = undefined));
  }

  /** One pass over every scope; exported for tests that move the clock. */
  async evaluate(): Promise<void> {
    this.stats.evaluations++;
    const now = this.opts.now();
    const scopes = this.opts.judge ? await this.opts.judge(now, this.sinceByScope()) : this.judgeHere(now);
    // Seeing no servers at all means this instance is cut off, not that every mismatch is over.
    if (scopes[0]!.members === 0) return;
    const gone: ScopeVerdict[] = [];
    // A cluster with a recorded mismatch and no members left (decommissioned, renamed) is resolved.
    const seen = new Set(scopes.map((a) => a.scope));
    for (const [scope, held] of this.#held) {
      const cluster = clusterOfScope(scope);
      if (seen.has(scope) || cluster === undefined || !held.record || held.record.state === MismatchState.Consistent) continue;
      gone.push(judgeScope(analyzeScope(scope, [], now, this.opts.policy, this.sinceOf, cluster), []));
    }
    // One scope that cannot be settled now (its event not storable yet) does not hold up the others.
    const failed: { scope: string; err: unknown }[] = [];
    await boundedAll([...scopes, ...gone], SCOPES_AT_ONCE, (a) => this.#settle(a, now).catch((err: unknown) => void failed.push({ scope: a.scope, err })));
    if (failed.length > 0) {
      const err = failed[0]!.err as Error;
      throw new Error(`${failed.length} scope(s) not settled (${failed.map((f) => f.scope).slice(0, 5).join(", ")}): ${err.message}`, { cause: err });
    }
  }

  /** Every scope judged here, from this instance's fleet. */
  judgeHere(now: number): ScopeVerdict[] {
    return judgeScopes(this.fleet, now, this.opts.policy, this.sinceOf, this.opts.affected);
  }

  /** Writes back the records that late writes took back (compare-and-set on the late write's revision). */
  async #repair(): Promise<void> {
    for (const [scope, held] of this.#held) {
      if (!held.repair || !held.record) continue;
      const record = { ...held.record, writer: `${this.#instance}.${++this.#writes}` };
      const key = KEY_PREFIX + encodeKeyToken(scope);
      const data = encodeMismatchRecord(record);
      // Revision 0: the key is not there (a bucket created again); update() refuses 0.
      const write = held.revision === 0 ? this.kv.create(key, data) : this.kv.update(key, data, held.revision);
      const revision = await write.catch(() => undefined);
      if (revision !== undefined) {
        if (this.#held.get(scope) === held) this.#keepHeld(scope, { record, revision });
      } else {
        this.opts.log.debug({ scope, revision: held.revision }, "writing a record back conflicted; reading the current one");
        // A conflict: learn the key's revision (the newer record is kept) and try again next pass.
        const stored = await this.#readCurrent(key).catch(() => undefined);
        if (stored !== undefined) this.#refreshed(key, stored);
      }
    }
  }

  /** Reconciles the records whose writers had their chance (and may have died) with the stream. */
  async #handOver(): Promise<void> {
    const now = performance.now();
    const due = [...this.#handover].filter(([, at]) => at <= now).map(([scope]) => scope);
    for (const scope of due) this.#handover.delete(scope);
    let failure: unknown;
    await boundedAll(due, SCOPES_AT_ONCE, (scope) =>
      this.#reconcile(scope).catch((err: unknown) => {
        // Checked again at the next pass.
        this.#handover.set(scope, 0);
        failure ??= err;
      }),
    );
    if (failure !== undefined) throw failure;
  }

  /**
   * Brings a scope's record and the event stream together: the record's event is delivered unless
   * the stream has it, and a record behind the newest event of its scope (a late write took it
   * back) is rebuilt from that event.
   */
  async #reconcile(scope: string): Promise<void> {
    const held = this.#held.get(scope);
    const record = held?.record;
    if (!held || !record || (record.event && this.#isDelivered(record.event))) return;
    const last = await this.events.lastOn(this.events.subjectOf({ cluster: clusterOfScope(scope) ?? null }));
    if (last?.scope === scope) {
      this.#markDelivered(last);
      if (last.seq > record.seq) return this.#lateWrite(scope, recordFromEvent(last), held.revision);
    }
    const event = record.event;
    if (event && !this.#isDelivered(event) && (await this.#deliver(event))) {
      this.stats.handovers++;
      this.opts.log.warn({ event: { id: event.id, type: event.type }, writer: record.writer }, "delivered an event whose writer did not (it may have died between its write and its publish)");
    }
  }

  async #settle(a: ScopeVerdict, now: number, attempt = 1): Promise<void> {
    // The previous event goes first, so that the stream holds each scope's events in order.
    const pending = this.#held.get(a.scope)?.record?.event;
    if (pending && !this.#isDelivered(pending)) await this.#reconcile(a.scope);
    const held = this.#held.get(a.scope);
    if (held?.repair) return;
    const t = nextTransition(held?.record, a.view, now, this.#deliveredSeq(held?.record));
    if (!t) return;
    if (held?.record && !this.#knowsAsMuch(held.record, now)) {
      // Another instance decided with news this one has not heard yet; wait for it.
      this.stats.deferred++;
      return;
    }
    const writer = `${this.#instance}.${++this.#writes}`;
    const record: MismatchRecord = {
      ...t.record,
      writer,
      ...(t.event ? { event: buildMismatchEvent(t.event, a.statement, t.record, held?.record, now, a.affected) } : {}),
    };
    const key = KEY_PREFIX + encodeKeyToken(a.scope);
    const data = encodeMismatchRecord(record);
    let revision: number;
    try {
      revision = held ? await this.kv.update(key, data, held.revision) : await this.kv.create(key, data);
    } catch (err) {
      const stored = await this.#readCurrent(key).catch(() => undefined);
      // Unreadable: whether the write landed is unknown; the watch will show it either way.
      if (stored === undefined) throw err;
      const theirs = stored?.operation === "PUT" ? decodeMismatchRecord(stored.value) : undefined;
      if (theirs?.writer === writer) {
        // Our write landed although its acknowledgement did not (a stream leader changing).
        revision = stored!.revision;
      } else {
        this.stats.conflicts++;
        // Another instance wrote first, or the key is gone (purged by an operator): decide again.
        this.#refreshed(key, stored);
        if (attempt < 3) return this.#settle(a, now, attempt + 1);
        throw err;
      }
    }
    const current = this.#held.get(a.scope);
    if (!current || current.revision < revision) {
      this.#keepHeld(a.scope, { record, revision });
      this.#revision++;
    } else if ((current.record?.seq ?? -1) < record.seq) {
      // The watch already brought a later revision that is older by sequence: a late write.
      this.#lateWrite(a.scope, record, current.revision);
    }
    this.opts.afterRecordWrite?.(record);
    if (record.event) await this.#deliver(record.event);
  }

  #isDelivered(event: MismatchEvent): boolean {
    const d = this.#delivered.get(event.scope);
    return d !== undefined && d.chain === eventChain(event.id) && d.seq >= event.seq;
  }

  /** The highest sequence of the record's chain known to be in the stream. */
  #deliveredSeq(record: MismatchRecord | undefined): number {
    const d = record && this.#delivered.get(record.scope);
    return d && d.chain === `${record.scope}.${record.epoch}` ? d.seq : 0;
  }

  #markDelivered(event: MismatchEvent): void {
    if (!this.#isDelivered(event)) this.#delivered.set(event.scope, { chain: eventChain(event.id), seq: event.seq });
  }

  /** Offers the event to the stream; returns whether this offer stored it (not a duplicate). */
  async #deliver(event: MismatchEvent): Promise<boolean> {
    const { duplicate } = await this.events.offer(event);
    this.#markDelivered(event);
    if (duplicate) {
      this.stats.duplicates++;
      return false;
    }
    this.stats.published[event.type] = (this.stats.published[event.type] ?? 0) + 1;
    this.opts.log.info({ event: { id: event.id, type: event.type, scope: event.scope, state: event.state } }, "mismatch event stored");
    return true;
  }

  /**
   * Whether this instance has heard, since the stored decision, from every server that decision
   * named: otherwise its view may be older than the record's and must not overrule it.
   */
  #knowsAsMuch(stored: MismatchRecord, now: number): boolean {
    if (now - stored.updatedAt > this.opts.offlineAfterMs) return true;
    return stored.outliers.every((name) => (this.fleet.lastSeen(name) ?? Number.NEGATIVE_INFINITY) >= stored.updatedAt);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#warm) clearTimeout(this.#warm);
    this.#watcher?.stop();
    await this.#running;
    await this.#following;
  }
}

