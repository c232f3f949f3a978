import { headers, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { DeliverPolicy, jetstream, type ConsumerMessages, type OrderedConsumerOptions } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Logger } from "pino";
import { decodeMismatchEvent } from "../core/mismatch-event.js";
import { encodeKeyToken } from "../core/server-key.js";
import { mismatchSubject } from "../core/event-subject.js";
import { readOrdered } from "./read-ordered.js";
import { publicEventSubjects, type RepublishWitness } from "./republish-witness.js";

export interface RepublishGuardOptions {
  readonly stream: string;
  /** A stored event not seen on its public subject this long after it was stored was not republished. */
  readonly graceMs: number;
  /** What reached the public subjects, kept by the server: the evidence an instance that was not listening uses. */
  readonly witness: RepublishWitness;
  /** Events stored this long before the instance started are judged too (every instance may have died meanwhile). */
  readonly lookbackMs: number;
  readonly log: Logger;
}

export interface RepublishStats {
  /** Events the stream stored but did not republish, published by this instance. */
  fallbacks: number;
  /** Such events another instance published first (its claim won). */
  claimedElsewhere: number;
  /** Events this instance did not see on their public subjects that the witness stream holds. */
  witnessed: number;
}

interface Stored {
  readonly id: string;
  readonly streamSeq: number;
  /** When the server stored it (its clock). */
  readonly storedAt: number;
  readonly data: Uint8Array;
  readonly subject: string;
}

const TICK_MS = 250;
/** Clocks of the service and the servers may differ by this much. */
const CLOCK_SLACK_MS = 2000;
const CLAIM_PREFIX = "republished.";
const SEEN_KEEP_MS = 60_000;
/** Notes are retried over about half a minute: a witness electing a leader answers again within that. */
const NOTE_ATTEMPTS = 10;

/**
 * nats-server republishes what a stream stored only from the stream leader at the moment it
 * applies the message: one stored while leadership moves is never republished (seen here on a
 * mixed 2.9/2.10 cluster while servers restarted). Every instance judges every stored event: one
 * seen on its public subject, or held by the witness stream (what reached the public subjects,
 * kept by the server), was published; one neither, `graceMs` after it was stored, is published by
 * the one instance whose KV claim wins. An instance that starts judges what was stored in the
 * last `lookbackMs` first: every instance may have died within an event's grace.
 */
export class RepublishGuard {
  readonly stats: RepublishStats = { fallbacks: 0, claimedElsewhere: 0, witnessed: 0 };
  /** Ids seen on the public subjects, and when. */
  readonly #seen = new Map<string, number>();
  readonly #stored = new Map<string, Stored>();
  #subs: Subscription[] = [];
  #messages: ConsumerMessages | undefined;
  #following: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #unreadableSince: number | undefined;
  #stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly opts: RepublishGuardOptions,
  ) {}

  async start(): Promise<void> {
    for (const subject of publicEventSubjects()) {
      this.#subs.push(this.nc.subscribe(subject, { callback: (_err, m) => this.#sawPublic(m.headers?.get("Nats-Msg-Id") ?? "") }));
    }
    await this.nc.flush();
    // Before this instance publishes anything of its own, so that a late fallback still comes
    // before the next event of its scope.
    const since = Date.now() - this.opts.lookbackMs;
    const last = await this.#sweep(since);
    // From where the sweep stopped; after an empty one, from its start time again: following from
    // sequence 1 would judge the stream's whole history as events nobody published.
    this.#following = this.#follow(last > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: last + 1 } : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(since).toISOString() });
    await this.#check();
    this.#timer = setInterval(() => void this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  #tick(): void {
    if (this.#checking) return;
    this.#checking = this.#check()
      .catch((err: Error) => this.opts.log.warn({ err: err.message }, "republish check failed"))
      .finally(() => (this.#checking = undefined));
  }

  #sawPublic(id: string): void {
    if (id === "" || this.#seen.has(id)) return;
    this.#seen.set(id, Date.now());
    this.#stored.delete(id);
    void this.#noteSeen(id);
  }

  /** Tells instances started later that the event was published, whatever the capture kept. */
  async #noteSeen(id: string): Promise<void> {
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        return await this.opts.witness.noteSeen(id);
      } catch (err) {
        if (attempt >= NOTE_ATTEMPTS) {
          this.opts.log.warn({ event: { id }, err: (err as Error).message }, "could not note a published event on the republish witness");
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(4000, 250 * 2 ** attempt)));
      }
    }
  }

  #keep(m: { seq: number; data: Uint8Array; storedAt: number }): void {
    // Older than the look-back, an event is history: the witness no longer holds what it would need.
    if (m.storedAt < Date.now() - this.opts.lookbackMs) return;
    const event = decodeMismatchEvent(m.data);
    if (!event || this.#seen.has(event.id)) return;
    this.#stored.set(event.id, { id: event.id, streamSeq: m.seq, storedAt: m.storedAt, data: m.data, subject: mismatchSubject("versions", event) });
  }

  /** What the stream stored since `since`; returns the last stream sequence read (0: none). */
  async #sweep(since: number): Promise<number> {
    let last = 0;
    await readOrdered(this.nc, this.opts.stream, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(since).toISOString() }, `events stored in ${this.opts.stream} since ${new Date(since).toISOString()}`, {
      start: () => {
        this.#stored.clear();
        last = 0;
      },
      message: (m) => {
        last = m.seq;
        this.#keep({ seq: m.seq, data: m.data, storedAt: m.storedAt() });
      },
    });
    return last;
  }

  /** Every event the stream stores from `first` on (an ordered consumer, started again where it stopped). */
  async #follow(first: Partial<OrderedConsumerOptions>): Promise<void> {
    const js = jetstream(this.nc);
    let next = 0;
    while (!this.#stopped) {
      try {
        const consumer = await js.consumers.get(this.opts.stream, next > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next } : { ...first });
        this.#messages = await consumer.consume();
        if (this.#stopped) this.#messages.stop();
        for await (const m of this.#messages) {
          next = m.seq + 1;
          this.#keep({ seq: m.seq, data: m.data, storedAt: Math.floor(Number(m.info.timestampNanos) / 1e6) });
        }
      } catch (err) {
        if (!this.#stopped) this.opts.log.warn({ err: (err as Error).message }, "following the event stream failed; starting again");
      }
      if (!this.#stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async #check(): Promise<void> {
    const now = Date.now();
    const suspects = [...this.#stored.values()].filter((s) => now - s.storedAt >= this.opts.graceMs && !this.#seen.has(s.id));
    if (suspects.length > 0) await this.#judge(suspects, now);
    // A seen id is needed only while a stored copy of it may still arrive.
    for (const [id, at] of this.#seen) {
      if (now - at < SEEN_KEEP_MS) break;
      this.#seen.delete(id);
    }
  }

  /** Events not seen on their subjects: the witness says which were published all the same. */
  async #judge(suspects: Stored[], now: number): Promise<void> {
    let witnessed: Set<string>;
    try {
      witnessed = await this.opts.witness.idsSince(Math.min(...suspects.map((s) => s.storedAt)) - CLOCK_SLACK_MS);
      this.#unreadableSince = undefined;
    } catch (err) {
      // Without the evidence either choice can be wrong: wait for the witness, as long as the
      // events are within the look-back an instance started now would judge anyway.
      const first = this.#unreadableSince === undefined;
      this.#unreadableSince ??= now;
      this.opts.log[first ? "warn" : "debug"]({ err: (err as Error).message, events: suspects.length, unreadable_ms: now - this.#unreadableSince }, "cannot read the republish witness; judging the events later");
      for (const s of suspects) {
        if (now - s.storedAt <= this.opts.lookbackMs) continue;
        this.#stored.delete(s.id);
        this.opts.log.error({ event: { id: s.id }, stream_seq: s.streamSeq }, "could not tell whether the stream republished this event; it is in the stream, not published live");
      }
      return;
    }
    for (const s of suspects) {
      this.#stored.delete(s.id);
      if (this.#seen.has(s.id)) continue;
      if (witnessed.has(s.id)) {
        this.stats.witnessed++;
        continue;
      }
      await this.#fallback(s);
    }
  }

  async #fallback(s: Stored): Promise<void> {
    try {
      await this.kv.create(CLAIM_PREFIX + encodeKeyToken(s.id), String(s.streamSeq));
    } catch {
      this.stats.claimedElsewhere++;
      return;
    }
    const h = headers();
    h.set("Nats-Msg-Id", s.id);
    h.set("Nats-Stream", this.opts.stream);
    h.set("Nats-Sequence", String(s.streamSeq));
    this.nc.publish(s.subject, s.data, { headers: h });
    this.stats.fallbacks++;
    this.opts.log.warn({ event: { id: s.id }, stream_seq: s.streamSeq }, "the event stream stored an event without republishing it; published it");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#checking;
    for (const sub of this.#subs) sub.unsubscribe();
    this.#messages?.stop();
    await this.#following;
  }
}
