import { headers, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { DeliverPolicy, jetstream, type ConsumerMessages } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Logger } from "pino";
import { decodeMismatchEvent } from "../core/mismatch-event.js";
import { encodeKeyToken } from "../core/server-key.js";
import { mismatchSubject } from "../core/event-subject.js";

export interface RepublishGuardOptions {
  readonly stream: string;
  /** A stored event not seen on its public subject this long after it was stored was not republished. */
  readonly graceMs: number;
  readonly log: Logger;
}

export interface RepublishStats {
  /** Events the stream stored but did not republish, published by this instance. */
  fallbacks: number;
  /** Such events another instance published first (its claim won). */
  claimedElsewhere: number;
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

/**
 * nats-server republishes what a stream stored only from the stream leader at the moment it
 * applies the message: one stored while leadership moves is never republished (seen here on a
 * mixed 2.9/2.10 cluster while servers restarted). Every instance watches the public subjects and
 * the stream; an event stored but not seen on its public subject within `graceMs`, while this
 * instance's connection was up all along, is published by the one instance whose KV claim wins.
 */
export class RepublishGuard {
  readonly stats: RepublishStats = { fallbacks: 0, claimedElsewhere: 0 };
  /** Ids seen on the public subjects, and when. */
  readonly #seen = new Map<string, number>();
  readonly #stored = new Map<string, Stored>();
  #connectedSince = 0;
  #subs: Subscription[] = [];
  #messages: ConsumerMessages | undefined;
  #following: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
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
    for (const subject of [mismatchSubject("versions", {}), `${mismatchSubject("versions", {})}.>`]) {
      this.#subs.push(this.nc.subscribe(subject, { callback: (_err, m) => this.#sawPublic(m.headers?.get("Nats-Msg-Id") ?? "") }));
    }
    await this.nc.flush();
    this.#following = this.#follow();
    this.#timer = setInterval(() => void this.#check().catch((err: Error) => this.opts.log.warn({ err: err.message }, "republish check failed")), TICK_MS);
    this.#timer.unref();
  }

  #sawPublic(id: string): void {
    if (id === "") return;
    this.#seen.set(id, Date.now());
    this.#stored.delete(id);
  }

  /** Every event the stream stores from now on (an ordered consumer, started again where it stopped). */
  async #follow(): Promise<void> {
    const js = jetstream(this.nc);
    let next = 0;
    while (!this.#stopped) {
      try {
        const consumer = await js.consumers.get(this.opts.stream, next === 0 ? { deliver_policy: DeliverPolicy.New } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next });
        this.#messages = await consumer.consume();
        if (this.#stopped) this.#messages.stop();
        for await (const m of this.#messages) {
          next = m.seq + 1;
          const event = decodeMismatchEvent(m.data);
          if (!event || this.#seen.has(event.id)) continue;
          const storedAt = Math.floor(Number(m.info.timestampNanos) / 1e6);
          this.#stored.set(event.id, { id: event.id, streamSeq: m.seq, storedAt, data: m.data, subject: mismatchSubject("versions", event) });
        }
      } catch (err) {
        if (!this.#stopped) this.opts.log.warn({ err: (err as Error).message }, "following the event stream failed; starting again");
      }
      if (!this.#stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async #check(): Promise<void> {
    const now = Date.now();
    for (const s of this.#stored.values()) {
      if (now - s.storedAt < this.opts.graceMs) continue;
      this.#stored.delete(s.id);
      // Not seen, but this connection may have been away when it was republished: unknowable.
      if (this.#seen.has(s.id) || this.#connectedSince > s.storedAt - CLOCK_SLACK_MS) continue;
      await this.#fallback(s);
    }
    // A seen id is needed only while a stored copy of it may still arrive.
    for (const [id, at] of this.#seen) {
      if (now - at < SEEN_KEEP_MS) break;
      this.#seen.delete(id);
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
    for (const sub of this.#subs) sub.unsubscribe();
    this.#messages?.stop();
    await this.#following;
  }
}
