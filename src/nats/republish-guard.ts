import { headers, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Logger } from "pino";
import { encodeKeyToken } from "../core/server-key.js";
import { REPUBLISH_DESTINATION } from "./event-stream.js";
import { jsMsgHeader, msgHeader } from "./raw-header.js";
import { readOrdered, storedAtMs } from "./read-ordered.js";
import { publicEventSubjects, type RepublishWitness } from "./republish-witness.js";

export interface RepublishGuardOptions {
  readonly stream: string;
  /** A stored event not seen on its public subject this long after it was stored was not republished. */
  readonly graceMs: number;
  /** What reached the public subjects, kept by the server: the evidence an instance that was not listening uses. */
  readonly witness: RepublishWitness;
  /** Events stored this long before the instance started are judged too (every instance may have died meanwhile). */
  readonly lookbackMs: number;
  /**
   * An instance that was not subscribed when an event was stored knows only what the witness says,
   * and another instance's note of it may still be on its way (retried while the witness elects a
   * leader): it judges the event this long after the store (plus the clock slack), not before.
   */
  readonly notedGraceMs: number;
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
  /** When this instance read it from the stream (its own clock): the grace runs from here, whatever the clocks. */
  readonly arrivedAt: number;
  /** Undefined for what the sweep read (headers only): fetched by sequence if it must be published. */
  readonly data: Uint8Array | undefined;
  readonly subject: string;
}

const TICK_MS = 250;
/** Clocks of the service and the servers may differ by this much. */
const CLOCK_SLACK_MS = 2000;
const CLAIM_PREFIX = "republished.";
const SEEN_KEEP_MS = 60_000;
const NOTE_RETRY_MAX_MS = 4000;

/**
 * nats-server republishes what a stream stored only from the stream leader at the moment it
 * applies the message: one stored while leadership moves is never republished (seen here on a
 * mixed 2.9/2.10 cluster while servers restarted). Every instance judges every stored event: one
 * seen on its public subject, or held by the witness stream (captured there, or noted by an
 * instance that saw it), was published; one neither is published by the one instance whose KV
 * claim wins. An instance that starts judges what was stored in the last `lookbackMs` first:
 * every instance may have died within an event's grace.
 */
export class RepublishGuard {
  readonly stats: RepublishStats = { fallbacks: 0, claimedElsewhere: 0, witnessed: 0 };
  /** Ids seen on the public subjects, and when. */
  readonly #seen = new Map<string, number>();
  readonly #stored = new Map<string, Stored>();
  /** Since when the connection has been up (its own clock); infinite while it is down. */
  #connectedSince = 0;
  /** Written into a claim: after a lost acknowledgement, tells this instance's claim from another's. */
  readonly #claimToken = `${process.pid}.${Math.random().toString(36).slice(2)}`;
  #subs: Subscription[] = [];
  #messages: ConsumerMessages | undefined;
  #following: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #unreadableSince: number | undefined;
  #jsm: Promise<JetStreamManager> | undefined;
  #stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly opts: RepublishGuardOptions,
  ) {}

  async start(): Promise<void> {
    this.#connectedSince = Date.now();
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === "disconnect") this.#connectedSince = Number.POSITIVE_INFINITY;
        if (s.type === "reconnect") this.#connectedSince = Date.now();
      }
    })();
    for (const subject of publicEventSubjects()) {
      this.#subs.push(this.nc.subscribe(subject, { callback: (_err, m) => this.#sawPublic(msgHeader(m, "Nats-Msg-Id") ?? "") }));
    }
    await this.nc.flush();
    const before = (await (await this.#manager()).streams.info(this.opts.stream)).state.last_seq;
    const last = await this.#sweep();
    // Always from a sequence: an ordered consumer started from a time cannot be created again by
    // the client after a reset (it keeps the time and adds a sequence, which the server refuses).
    this.#following = this.#follow(Math.max(before, last) + 1);
    // Before this instance publishes anything of its own, so that a late fallback still comes
    // before the next event of its scope.
    await this.#check();
    this.#timer = setInterval(() => void this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  /** Events stored before this are not judged: older than the look-back, or than the witness. */
  #horizon(): number {
    return Math.max(Date.now() - this.opts.lookbackMs, this.opts.witness.createdAt);
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
    const until = Date.now() + this.opts.lookbackMs;
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        return await this.opts.witness.noteSeen(id);
      } catch (err) {
        if (Date.now() > until) {
          this.opts.log.warn({ event: { id }, err: (err as Error).message }, "could not note a published event on the republish witness");
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(NOTE_RETRY_MAX_MS, 250 * 2 ** attempt)));
      }
    }
  }

  /**
   * `arrivedAt` is -Infinity for what the sweep found: stored before this instance listened. The
   * id is the `Nats-Msg-Id` every event is offered with; a message without one is not an event.
   */
  #keep(m: { seq: number; subject: string; id: string | undefined; data: Uint8Array | undefined; storedAt: number }, arrivedAt: number): void {
    if (m.storedAt < this.#horizon() || !m.id || this.#seen.has(m.id)) return;
    this.#stored.set(m.id, { id: m.id, streamSeq: m.seq, storedAt: m.storedAt, arrivedAt, data: m.data, subject: this.#publicSubject(m.subject) });
  }

  /** Where the stream republishes what it stores on `subject` (its `<stream>.>` onto `versions.>`). */
  #publicSubject(subject: string): string {
    return REPUBLISH_DESTINATION.slice(0, -1) + subject.slice(this.opts.stream.length + 1);
  }

  /**
   * What the stream stored since the horizon; returns the last stream sequence read (0: none).
   * Headers only: the id is all that is judged, and an event is read in full only in the rare case
   * it must be published. After a burst of 100,000 new servers the stream held 33,000 events of
   * ~1 KB from the last minutes, and reading and decoding them took a second of a start.
   */
  async #sweep(): Promise<number> {
    const since = new Date(this.#horizon()).toISOString();
    let last = 0;
    await readOrdered(this.nc, this.opts.stream, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: since, headers_only: true }, `events stored in ${this.opts.stream} since ${since}`, {
      start: () => {
        this.#stored.clear();
        last = 0;
      },
      message: (m) => {
        last = m.seq;
        this.#keep({ seq: m.seq, subject: m.subject, id: m.header("Nats-Msg-Id"), data: undefined, storedAt: m.storedAt() }, Number.NEGATIVE_INFINITY);
      },
    });
    return last;
  }

  /** Every event the stream stores from sequence `first` on (an ordered consumer, started again where it stopped). */
  async #follow(first: number): Promise<void> {
    const js = jetstream(this.nc);
    let next = first;
    while (!this.#stopped) {
      try {
        const consumer = await js.consumers.get(this.opts.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next });
        this.#messages = await consumer.consume();
        if (this.#stopped) this.#messages.stop();
        for await (const m of this.#messages) {
          next = m.seq + 1;
          this.#keep({ seq: m.seq, subject: m.subject, id: jsMsgHeader(m, "Nats-Msg-Id"), data: m.data, storedAt: storedAtMs(m) }, Date.now());
        }
      } catch (err) {
        if (!this.#stopped) this.opts.log.warn({ err: (err as Error).message }, "following the event stream failed; starting again");
      }
      if (!this.#stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /**
   * When an event not seen here is judged. Subscribed when it was stored, this instance's own
   * silence is evidence after `graceMs`; otherwise it waits for other instances' notes.
   */
  #dueAt(s: Stored): number {
    const subscribed = this.#connectedSince <= s.storedAt - CLOCK_SLACK_MS;
    return subscribed ? s.arrivedAt + this.opts.graceMs : Math.max(s.arrivedAt + this.opts.graceMs, s.storedAt + CLOCK_SLACK_MS + this.opts.notedGraceMs);
  }

  async #check(): Promise<void> {
    const now = Date.now();
    const horizon = this.#horizon();
    const suspects: Stored[] = [];
    for (const s of this.#stored.values()) {
      if (s.storedAt < horizon) {
        // Judged too late to tell: the witness may have aged out what it knew of it.
        this.#stored.delete(s.id);
        this.opts.log.error({ event: { id: s.id }, stream_seq: s.streamSeq }, "could not tell whether the stream republished this event; it is in the stream, not published live");
      } else if (!this.#seen.has(s.id) && now >= this.#dueAt(s)) {
        suspects.push(s);
      }
    }
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
      witnessed = await this.opts.witness.idsSince(suspects.reduce((min, s) => Math.min(min, s.storedAt), Infinity) - CLOCK_SLACK_MS);
      this.#unreadableSince = undefined;
    } catch (err) {
      // Without the evidence either choice can be wrong: wait for the witness, as long as the
      // events are within the look-back (see #check).
      const first = this.#unreadableSince === undefined;
      this.#unreadableSince ??= now;
      this.opts.log[first ? "warn" : "debug"]({ err: (err as Error).message, events: suspects.length, unreadable_ms: now - this.#unreadableSince }, "cannot read the republish witness; judging the events later");
      return;
    }
    for (const s of suspects) {
      if (this.#stopped) return;
      if (this.#seen.has(s.id)) continue;
      if (witnessed.has(s.id)) {
        this.#stored.delete(s.id);
        this.stats.witnessed++;
        continue;
      }
      if (await this.#fallback(s)) this.#stored.delete(s.id);
    }
  }

  /** Claims the event and publishes it; false when it must be tried again (the claim could not be made or refused). */
  async #fallback(s: Stored): Promise<boolean> {
    // Read before the claim: a claim made and then not published would be this instance's alone to finish.
    const data = s.data ?? (await this.#storedData(s));
    if (data === undefined) return false;
    const key = CLAIM_PREFIX + encodeKeyToken(s.id);
    const claim = `${this.#claimToken}.${s.streamSeq}`;
    try {
      await this.kv.create(key, claim);
    } catch (err) {
      if (!/wrong last sequence/i.test((err as Error).message)) {
        this.opts.log.debug({ event: { id: s.id }, err: (err as Error).message }, "claiming an event to publish failed; trying again");
        return false;
      }
      // Taken: by another instance, or by an earlier attempt of this one whose acknowledgement was lost.
      const held = await this.kv.get(key).catch(() => null);
      if (held === null) return false;
      if (held.string() !== claim) {
        this.stats.claimedElsewhere++;
        return true;
      }
    }
    const h = headers();
    h.set("Nats-Msg-Id", s.id);
    h.set("Nats-Stream", this.opts.stream);
    h.set("Nats-Sequence", String(s.streamSeq));
    this.nc.publish(s.subject, data, { headers: h });
    this.stats.fallbacks++;
    this.opts.log.warn({ event: { id: s.id }, stream_seq: s.streamSeq }, "the event stream stored an event without republishing it; published it");
    return true;
  }

  /** One manager for the guard's life (making one asks the server for its account info first); a failed attempt is not kept. */
  #manager(): Promise<JetStreamManager> {
    return (this.#jsm ??= jetstreamManager(this.nc).catch((err: unknown) => {
      this.#jsm = undefined;
      throw err;
    }));
  }

  /** The body of an event the sweep read headers only; undefined (tried again) when it cannot be read now. */
  async #storedData(s: Stored): Promise<Uint8Array | undefined> {
    try {
      const m = await (await this.#manager()).streams.getMessage(this.opts.stream, { seq: s.streamSeq });
      if (m) return m.data;
    } catch (err) {
      this.opts.log.debug({ event: { id: s.id }, stream_seq: s.streamSeq, err: (err as Error).message }, "reading an event to publish failed; trying again");
    }
    return undefined;
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
