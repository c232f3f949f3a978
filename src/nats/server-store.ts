import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm, type KV } from "@nats-io/kv";
import type { Logger } from "pino";
import { decodeServerKey, encodeServerKey, SERVER_KEY_PREFIX } from "../core/server-key.js";
import { decodeServerRecord, encodeServerRecord } from "../core/server-record-codec.js";
import type { ServerRecord } from "../core/server-record.js";
import { scanLatest } from "./kv-scan.js";
import { Fifo } from "./fifo.js";
import { NamedNumbers } from "../core/named-numbers.js";
import { createReplicated } from "./replicated-create.js";

export interface StoreOptions {
  readonly bucket: string;
  readonly log: Logger;
  /**
   * Called when a compare-and-set failed because another instance wrote first: returns what to
   * write instead (our view merged with the stored one).
   */
  readonly resolveConflict: (ours: ServerRecord, stored: ServerRecord) => ServerRecord;
  /** Told of every write that failed for good, e.g. so that a deleted bucket is noticed at once. */
  readonly onWriteFailed?: () => void;
  /** After a failed write is logged, those that follow are summed up in one line this much later (default 10 s). */
  readonly failureLogMs?: number;
  /** While true, writes trickle (see HELD_WRITE_GAP_MS): e.g. while advertisements wait to be taken in. */
  readonly holdWrites?: () => boolean;
}

export interface StoreStats {
  writes: number;
  conflicts: number;
  errors: number;
  skippedEntries: number;
}

const MAX_CAS_ATTEMPTS = 5;
/** A write starts this long after its record was queued (see #scheduleSoon). */
const WRITE_DELAY_MS = 10;
/** Columns of what the store keeps per server. */
const REVISION = 0;
const SAVED_LAST_SEEN = 1;
const RETRY_DELAY_MS = 1000;
/**
 * An outage of JetStream (a full disk, a lost quorum) fails the write of every key, and each is
 * retried every second: one line for the first, then one that sums up the rest, at most this often.
 */
const FAILURE_LOG_MS = 10_000;
/**
 * Writes in flight at once, across keys. A burst of 100,000 new servers otherwise started 100,000
 * KV requests at once: memory for every one of them, and a JetStream leader flooded.
 */
const MAX_WRITES_IN_FLIGHT = 256;
/** Writes started in one turn of the event loop; each costs tens of microseconds in the client. */
const WRITES_STARTED_AT_ONCE = 32;
/**
 * While writes are held (see StoreOptions.holdWrites), the next few start this much later, not at
 * the next turn of the event loop: about 640 a second instead of as many as JetStream acknowledges.
 * In a burst of 100,000 new servers the writes competed for the two cores with the advertisements
 * still to be taken in and with the requests. Held, the report's p99 during the burst was 90 ms
 * (median of 5 bench runs) against 112 ms; `$SRV.STATS` did not change (90 and 91 ms).
 */
const HELD_WRITE_GAP_MS = 50;

/** KV bucket history: a few revisions per server, enough to see an upgrade in `nats kv history`. */
const HISTORY = 5;

/** Opens the bucket, creating it if it does not exist. */
export async function openBucket(nc: NatsConnection, bucket: string, replicas: number | "auto", log: Logger): Promise<KV> {
  const kvm = new Kvm(nc);
  const existing = await kvm.open(bucket);
  try {
    await existing.status();
    return existing;
  } catch {
    // not there yet
  }
  return createReplicated(`bucket ${bucket}`, replicas, (n) => kvm.create(bucket, { replicas: n, history: HISTORY }), log);
}

/** A stored entry as a record, or why it is not one. Pure: it runs as the entries arrive. */
function decodeEntry(key: string, data: Uint8Array): ServerRecord | Error {
  try {
    const name = decodeServerKey(key);
    if (name === undefined) throw new Error("key is not a server key");
    const record = decodeServerRecord(data);
    if (record.name !== name) throw new Error(`record name ${JSON.stringify(record.name)} does not match the key`);
    return record;
  } catch (err) {
    return err as Error;
  }
}

/**
 * One KV entry per server, written only when the record changed materially. Writes to a key are
 * serialised and coalesced (only the newest pending record is written), first with `create`, then
 * with `update(key, value, revision)`, so concurrent instances never overwrite each other blindly.
 */
export class ServerStore {
  readonly stats: StoreStats = { writes: 0, conflicts: 0, errors: 0, skippedEntries: 0 };
  /** By server name: the KV revision of its entry, and the last-seen time of the record last queued. */
  readonly #kept = new NamedNumbers(2);
  readonly #pending = new Map<string, ServerRecord>();
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Keys with a record to write, waiting for one of the MAX_WRITES_IN_FLIGHT slots. */
  readonly #waiting = new Set<string>();
  /** The same keys, oldest first (a key removed meanwhile stays here, no longer waiting). */
  readonly #queue = new Fifo<string>();
  #nextTimer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  #soonTimer: NodeJS.Timeout | undefined;
  readonly #retries = new Set<NodeJS.Timeout>();
  /** Failed writes since the last one logged, while their summary is due. */
  #failures: { count: number; key: string; err: string; timer: NodeJS.Timeout } | undefined;
  #closed = false;

  constructor(
    readonly kv: KV,
    private readonly nc: NatsConnection,
    private readonly opts: StoreOptions,
  ) {}

  /** Every stored server, read with one ordered consumer; entries that do not decode are skipped. */
  async loadAll(): Promise<ServerRecord[]> {
    const out: ServerRecord[] = [];
    await scanLatest(this.nc, this.opts.bucket, SERVER_KEY_PREFIX, (key, revision, decoded) => this.#take(key, revision, decoded, out), decodeEntry);
    return out;
  }

  #take(key: string, revision: number, decoded: ServerRecord | Error, out: ServerRecord[]): void {
    if (!(decoded instanceof Error)) {
      // The record's own name: the fleet keeps the same string.
      this.#kept.set(decoded.name, REVISION, revision);
      this.#kept.set(decoded.name, SAVED_LAST_SEEN, decoded.lastSeen);
      out.push(decoded);
      return;
    }
    const name = decodeServerKey(key);
    if (name !== undefined) this.#kept.set(name, REVISION, revision);
    this.stats.skippedEntries++;
    this.opts.log.warn({ key, revision, err: decoded.message }, "skipping a KV entry that does not decode");
  }

  /** The last-seen time of the record last queued for this server (or loaded): the monitor writes last-seen alone only so often. */
  savedLastSeen(name: string): number | undefined {
    return this.#kept.get(name, SAVED_LAST_SEEN);
  }

  /** Queues a write of the record; returns at once. */
  save(record: ServerRecord): void {
    this.#kept.set(record.name, SAVED_LAST_SEEN, record.lastSeen);
    const key = encodeServerKey(record.name);
    this.#pending.set(key, record);
    if (this.#inFlight.has(key) || this.#waiting.has(key)) return;
    this.#waiting.add(key);
    this.#queue.push(key);
    this.#scheduleSoon();
  }

  /**
   * Writes start a moment after the change, not at once: a request that arrives with the change
   * is answered first (encoding the record, the JetStream publish and the server's work on it
   * stood between them), and a burst's writes start in batches.
   */
  #scheduleSoon(): void {
    if (this.#soonTimer || this.#nextTimer) return;
    this.#soonTimer = setTimeout(() => {
      this.#soonTimer = undefined;
      this.#next();
    }, WRITE_DELAY_MS);
  }

  /** Writes a key's pending records one after the other, then hands its slot to the next key waiting. */
  #drain(key: string): void {
    const run = (async () => {
      for (let record = this.#pending.get(key); record; record = this.#pending.get(key)) {
        this.#pending.delete(key);
        await this.#write(key, record);
      }
    })().finally(() => {
      this.#inFlight.delete(key);
      this.#schedule();
    });
    this.#inFlight.set(key, run);
  }

  /**
   * The next writes start from the event loop, not from the acknowledgement that freed the slot:
   * started there, a burst's writes chained one microtask to the next for a second at a time, and
   * no request was answered meanwhile.
   */
  #schedule(): void {
    if (this.#waiting.size === 0 || this.#nextTimer) return;
    const next = () => {
      this.#nextTimer = undefined;
      this.#next();
    };
    this.#nextTimer = this.opts.holdWrites?.() ? setTimeout(next, HELD_WRITE_GAP_MS) : setImmediate(next);
  }

  #next(): void {
    // A few at a time, each batch a turn of the event loop of its own (see #schedule).
    let started = 0;
    while (this.#inFlight.size < MAX_WRITES_IN_FLIGHT && this.#queue.size > 0) {
      if (started++ === WRITES_STARTED_AT_ONCE) {
        this.#schedule();
        break;
      }
      const key = this.#queue.shift()!;
      // A key removed meanwhile is no longer waiting.
      if (!this.#waiting.delete(key)) continue;
      if (this.#pending.has(key) && !this.#inFlight.has(key)) this.#drain(key);
    }
  }

  /** Keys being written now, and keys waiting for a slot. */
  get backlog(): { readonly writing: number; readonly waiting: number } {
    return { writing: this.#inFlight.size, waiting: this.#waiting.size };
  }

  async #write(key: string, record: ServerRecord): Promise<void> {
    let current = record;
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const revision = this.#kept.get(current.name, REVISION);
      try {
        const data = encodeServerRecord(current);
        const next = revision === undefined ? await this.kv.create(key, data) : await this.kv.update(key, data, revision);
        this.#kept.set(current.name, REVISION, next);
        this.stats.writes++;
        return;
      } catch (err) {
        const stored = await this.kv.get(key).catch(() => null);
        if (!stored || stored.operation !== "PUT") {
          // The key is gone (or unreadable): next attempt creates it.
          if (stored) this.#kept.set(current.name, REVISION, stored.revision);
          else this.#kept.unset(current.name, REVISION);
          if (attempt === MAX_CAS_ATTEMPTS) this.#failed(key, current, err);
          continue;
        }
        this.stats.conflicts++;
        this.#kept.set(current.name, REVISION, stored.revision);
        try {
          current = this.opts.resolveConflict(current, decodeServerRecord(stored.value));
        } catch {
          // What is stored does not decode: ours replaces it.
        }
        if (attempt === MAX_CAS_ATTEMPTS) this.#failed(key, current, err);
      }
    }
  }

  /** JetStream can be briefly unavailable (a server of the bucket restarting): try again soon. */
  #failed(key: string, record: ServerRecord, err: unknown): void {
    this.stats.errors++;
    this.#tellFailure(key, (err as Error).message);
    this.opts.onWriteFailed?.();
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#retries.delete(timer);
      // A newer record queued meanwhile wins; otherwise write this one again.
      if (!this.#pending.has(key)) this.save(record);
    }, RETRY_DELAY_MS);
    this.#retries.add(timer);
  }

  /** The bucket was created again, empty: every record is written anew (create, not update). */
  rewriteAll(records: Iterable<ServerRecord>): number {
    this.#kept.unsetColumn(REVISION);
    let n = 0;
    for (const r of records) {
      this.save(r);
      n++;
    }
    return n;
  }

  /** Removes a forgotten server's entry (a delete marker; loading skips it). */
  async remove(record: ServerRecord): Promise<void> {
    const key = encodeServerKey(record.name);
    await this.#inFlight.get(key);
    this.#pending.delete(key);
    this.#waiting.delete(key);
    try {
      await this.kv.delete(key);
      this.#kept.delete(record.name);
    } catch (err) {
      this.opts.log.warn({ key, err: (err as Error).message }, "could not remove a forgotten server's entry");
    }
  }

  /** Resolves when every queued write has been attempted. */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0 || this.#waiting.size > 0) {
      if (this.#inFlight.size === 0) this.#next();
      await Promise.all([...this.#inFlight.values()]);
    }
  }

  #tellFailure(key: string, err: string): void {
    const held = this.#failures;
    if (held) {
      Object.assign(held, { count: held.count + 1, key, err });
      return;
    }
    this.opts.log.warn({ key, err }, "KV write failed; retrying in 1s");
    const timer = setTimeout(() => this.#sumUpFailures(), this.opts.failureLogMs ?? FAILURE_LOG_MS);
    timer.unref();
    this.#failures = { count: 0, key, err, timer };
  }

  #sumUpFailures(): void {
    const held = this.#failures;
    this.#failures = undefined;
    if (!held) return;
    clearTimeout(held.timer);
    if (held.count > 0) this.opts.log.warn({ failed: held.count, last_key: held.key, err: held.err }, "more KV writes failed; each is retried in 1s");
  }

  /** Flushes, then stops retrying failed writes. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    clearTimeout(this.#soonTimer);
    for (const t of this.#retries) clearTimeout(t);
    this.#retries.clear();
    this.#sumUpFailures();
  }
}
