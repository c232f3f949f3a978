import type { NatsConnection } from "@nats-io/nats-core";
import { DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type StreamConfig } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { mismatchSubject } from "../core/event-subject.js";
import { createReplicated } from "./replicated-create.js";
import { existingStream } from "./existing-stream.js";
import { readOrdered } from "./read-ordered.js";

export interface RepublishWitnessOptions {
  /** The event stream's name; the witness is `<name>-witness`. */
  readonly eventStream: string;
  readonly replicas: number | "auto";
  /** How long the witness keeps what it saw: longer than any instance looks back. */
  readonly maxAgeMs: number;
  readonly log: Logger;
}

const ns = (ms: number) => ms * 1_000_000;
/** A note's `Nats-Msg-Id` is this and the event's id: notes and captures of one event are stored apart. */
const SEEN_ID_PREFIX = "seen.";

export function witnessStreamName(eventStream: string): string {
  return `${eventStream}-witness`;
}

/** The public subjects the witness captures: where the event stream republishes, and fallbacks go. */
export function publicEventSubjects(): string[] {
  const system = mismatchSubject("versions", {});
  return [system, `${system}.>`];
}

/** Where an instance notes an event it saw on its public subject (the body is the event's id). */
export function seenSubject(witness: string): string {
  return `${witness}.seen`;
}

/**
 * A stream that captures what reached the public event subjects. Whether the event stream
 * republished an event is otherwise known only to the instances that were subscribed at that
 * moment: when every one of them dies within the grace, an instance started later must still be
 * able to tell a republished event from one the stream dropped, or it either loses the event or
 * publishes it twice. The server stores what it republishes here, whoever is alive, and every
 * instance notes what it saw there too: the capture alone is lost when the witness's own leader
 * goes down at that moment (seen in the crash test while a server restarted), as the republish is.
 */
export class RepublishWitness {
  private constructor(
    private readonly nc: NatsConnection,
    readonly name: string,
    /** When the witness was created (server clock): of what reached the subjects before, it knows nothing. */
    readonly createdAt: number,
  ) {}

  static async open(nc: NatsConnection, opts: RepublishWitnessOptions): Promise<RepublishWitness> {
    const jsm = await jetstreamManager(nc);
    const name = witnessStreamName(opts.eventStream);
    const want = {
      name,
      subjects: [...publicEventSubjects(), seenSubject(name)],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: ns(opts.maxAgeMs),
      // Only ids are read from it: notes of one event by several instances are stored once.
      duplicate_window: ns(Math.min(opts.maxAgeMs, 120_000)),
      allow_direct: true,
    } satisfies Partial<StreamConfig>;
    const existing = await existingStream(jsm, name);
    let created: string;
    if (existing) {
      created = existing.created;
      const subjects = [...(existing.config.subjects ?? [])].sort();
      if (!publicEventSubjects().every((s) => subjects.includes(s))) {
        throw new Error(`stream ${name} exists but does not capture ${publicEventSubjects().join(" and ")}; delete it or choose another --events-stream`);
      }
      const update = { subjects: want.subjects, max_age: want.max_age, duplicate_window: want.duplicate_window };
      if (JSON.stringify(subjects) !== JSON.stringify([...want.subjects].sort()) || existing.config.max_age !== want.max_age || existing.config.duplicate_window !== want.duplicate_window) {
        // Only what changes: the client refuses a whole config holding 2.10 fields (a 2.10 leader's
        // answer) when it is connected to a 2.9 server of a mixed cluster.
        await jsm.streams.update(name, update);
        opts.log.info({ stream: name, ...update }, "republish witness updated");
      }
    } else {
      created = (await createReplicated(`stream ${name}`, opts.replicas, (n) => jsm.streams.add({ ...want, num_replicas: n }), opts.log)).created;
      opts.log.info({ stream: name }, "republish witness stream created");
    }
    return new RepublishWitness(nc, name, Date.parse(created));
  }

  /**
   * Notes that this instance saw the event on its public subject. Stored once whoever notes it
   * (deduplicated on the id); throws when the witness does not acknowledge it.
   */
  async noteSeen(id: string): Promise<void> {
    await jetstream(this.nc).publish(seenSubject(this.name), id, { msgID: SEEN_ID_PREFIX + id, timeout: 2000 });
  }

  /**
   * The ids of every event that reached the public subjects since `since` (server clock), captured or
   * noted. Headers only: a capture carries the event's id as `Nats-Msg-Id`, a note as `seen.<id>`
   * (noteSeen), and the bodies (a whole event each) would only be read to be dropped.
   */
  async idsSince(since: number): Promise<Set<string>> {
    let ids = new Set<string>();
    const seen = seenSubject(this.name);
    await readOrdered(
      this.nc,
      this.name,
      { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(since).toISOString(), headers_only: true },
      `what reached the public event subjects, from ${this.name}`,
      {
        start: () => (ids = new Set()),
        message: (m) => {
          const id = m.header("Nats-Msg-Id");
          if (!id) return;
          if (m.subject !== seen) ids.add(id);
          else if (id.startsWith(SEEN_ID_PREFIX)) ids.add(id.slice(SEEN_ID_PREFIX.length));
        },
      },
    );
    return ids;
  }
}
