import type { NatsConnection } from "@nats-io/nats-core";
import { DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { mismatchSubject } from "../core/event-subject.js";
import { decodeMismatchEvent, type MismatchEvent } from "../core/mismatch-event.js";
import { clusterOfScope } from "../core/mismatch-record.js";
import { eventChain } from "../core/mismatch-transition.js";
import { createReplicated } from "./replicated-create.js";
import { existingStream } from "./existing-stream.js";
import { readOrdered } from "./read-ordered.js";

export interface EventStreamOptions {
  readonly name: string;
  readonly replicas: number | "auto";
  readonly maxAgeMs: number;
  readonly maxMsgs: number;
  readonly duplicateWindowMs: number;
  readonly log: Logger;
}

/** Where the stream republishes what it stored: `<stream>.mismatch.x` becomes `versions.mismatch.x`. */
export const REPUBLISH_DESTINATION = "versions.>";

const PUBLISH_ATTEMPTS = 8;
const ms = (n: number) => n * 1_000_000;

/** A stored event as the history endpoint returns it: the event plus where the stream holds it. */
export interface StoredEvent {
  readonly stream_seq: number;
  readonly event: MismatchEvent;
}

export interface HistoryQuery {
  readonly scope?: string;
  readonly cluster?: string;
  readonly type?: string;
  readonly limit: number;
  readonly page: number;
}

export interface HistoryPage {
  readonly stream: string;
  readonly events: StoredEvent[];
  readonly page: number;
  readonly limit: number;
  /** Events matching the query, all pages together. */
  readonly matched: number;
  readonly more: boolean;
}

/**
 * The event stream: every mismatch event is stored once (deduplicated on its id, the
 * `Nats-Msg-Id`), kept as history, and republished by the server onto the public subjects, so a
 * core subscriber sees each stored event once however often instances offer it.
 */
export class EventStream {
  readonly #js: JetStreamClient;
  readonly #nc: NatsConnection;

  private constructor(
    readonly opts: EventStreamOptions,
    readonly jsm: JetStreamManager,
    nc: NatsConnection,
  ) {
    this.#nc = nc;
    this.#js = jetstream(nc);
  }

  /** Opens the stream, creating it when missing; an existing stream must republish as this one does. */
  static async open(nc: NatsConnection, opts: EventStreamOptions): Promise<EventStream> {
    const jsm = await jetstreamManager(nc);
    const want = {
      name: opts.name,
      subjects: [`${opts.name}.>`],
      republish: { src: `${opts.name}.>`, dest: REPUBLISH_DESTINATION },
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: ms(opts.maxAgeMs),
      max_msgs: opts.maxMsgs,
      duplicate_window: ms(opts.duplicateWindowMs),
      allow_direct: true,
    } satisfies Partial<StreamConfig>;
    const existing = await existingStream(jsm, opts.name);
    if (existing) {
      const rp = existing.config.republish;
      if (rp?.dest !== REPUBLISH_DESTINATION || rp.src !== `${opts.name}.>`) {
        throw new Error(`stream ${opts.name} exists but does not republish ${opts.name}.> onto ${REPUBLISH_DESTINATION}; delete it or choose another --events-stream`);
      }
      const limits = { max_age: want.max_age, max_msgs: want.max_msgs, duplicate_window: want.duplicate_window };
      if (Object.entries(limits).some(([k, v]) => existing.config[k as keyof typeof limits] !== v)) {
        // Only the limits: the client refuses a whole config holding 2.10 fields (a 2.10 leader's
        // answer) when it is connected to a 2.9 server of a mixed cluster.
        await jsm.streams.update(opts.name, limits);
        opts.log.info({ stream: opts.name, ...limits }, "event stream limits updated");
      }
    } else {
      await createReplicated(`stream ${opts.name}`, opts.replicas, (n) => jsm.streams.add({ ...want, num_replicas: n }), opts.log);
      opts.log.info({ stream: opts.name }, "event stream created");
    }
    return new EventStream(opts, jsm, nc);
  }

  /** The stream's own subject for an event (republished as the same subject under `versions`). */
  subjectOf(event: { readonly cluster?: string | null }): string {
    return mismatchSubject(this.opts.name, event);
  }

  /**
   * The newest event stored on this event's subject (read from the stream leader, so it is not
   * behind): undefined when there is none.
   */
  async lastOn(subject: string): Promise<MismatchEvent | undefined> {
    const m = await this.jsm.streams.getMessage(this.opts.name, { last_by_subj: subject });
    return m ? decodeMismatchEvent(m.data) : undefined;
  }

  /**
   * Offers an event; the stream stores it at most once per duplicate window (its id is the
   * `Nats-Msg-Id`). Acknowledgements lost while leaders move are retried with the same id.
   */
  async offer(event: MismatchEvent): Promise<{ duplicate: boolean }> {
    const body = JSON.stringify(event);
    let last: unknown;
    for (let attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt++) {
      try {
        const ack = await this.#js.publish(this.subjectOf(event), body, { msgID: event.id, timeout: 2000 });
        return { duplicate: ack.duplicate };
      } catch (err) {
        last = err;
        this.opts.log.debug({ event: { id: event.id }, attempt, err: (err as Error).message }, "offer not acknowledged; checking the stream, then again");
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
        // An offer whose acknowledgement was lost may have been stored: offering it again to a new
        // leader that has not applied it yet would store it twice.
        const stored = await this.lastOn(this.subjectOf(event)).catch(() => undefined);
        if (stored?.scope === event.scope && eventChain(stored.id) === eventChain(event.id) && stored.seq >= event.seq) return { duplicate: true };
      }
    }
    throw new Error(`event ${event.id} not stored in ${this.opts.name}: ${(last as Error).message}`, { cause: last });
  }

  /** Stored events matching the query, newest first, a page at a time. */
  async history(q: HistoryQuery): Promise<HistoryPage> {
    const info = await this.jsm.streams.info(this.opts.name);
    const { first_seq: first, last_seq: lastSeq, messages } = info.state;
    const cluster = q.cluster ?? (q.scope === undefined ? undefined : clusterOfScope(q.scope));
    const filter =
      q.scope === "system" ? mismatchSubject(this.opts.name, {}) : cluster !== undefined ? mismatchSubject(this.opts.name, { cluster }) : `${this.opts.name}.>`;
    const wanted = q.limit * q.page;
    const matches = (e: MismatchEvent) =>
      (q.scope === undefined || e.scope === q.scope) && (cluster === undefined || e.cluster === cluster) && (q.type === undefined || e.type === q.type);
    // Without a filter the newest `wanted` messages are all there is to read.
    const unfiltered = q.scope === undefined && cluster === undefined && q.type === undefined;
    const start = unfiltered ? Math.max(first, lastSeq - wanted + 1) : first;
    let kept: StoredEvent[] = [];
    let matched = 0;
    if (messages > 0) {
      const filterOpts = { filter_subjects: filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start };
      await readOrdered(this.#nc, this.opts.name, filterOpts, `history from ${this.opts.name}`, {
        start: () => ((kept = []), (matched = 0)),
        message: (m) => {
          const e = decodeMismatchEvent(m.data);
          if (!e || !matches(e)) return;
          matched++;
          kept.push({ stream_seq: m.seq, event: e });
          if (kept.length > wanted) kept.shift();
        },
      });
      // Every stored message is an event: unfiltered, all of them match, also those not read.
      if (unfiltered) matched = messages;
    }
    const newestFirst = kept.reverse();
    const events = newestFirst.slice(q.limit * (q.page - 1), q.limit * q.page);
    return { stream: this.opts.name, events, page: q.page, limit: q.limit, matched, more: matched > wanted };
  }
}
