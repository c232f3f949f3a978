import { errors, type NatsConnection } from "@nats-io/nats-core";
import { jetstream, type Consumer, type JsMsg, type OrderedConsumerOptions } from "@nats-io/jetstream";
import { jsMsgHeader } from "./raw-header.js";

/** A pull that is never answered (permissions, a leader election) must not hang its caller. */
const STALL_MS = 5000;
const ATTEMPTS = 3;
const PULL_BATCH = 1000;

/** When the stream stored a message, in ms (the server's clock). */
export function storedAtMs(m: JsMsg): number {
  return Math.floor(Number(m.info.timestampNanos) / 1e6);
}

export class ReadStalled extends Error {
  override name = "ReadStalled";
}

export interface OrderedMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly header: (name: string) => string | undefined;
  /** When the stream stored it, in ms (the server's clock). */
  readonly storedAt: () => number;
}

/** What a reader does with the messages: `start` is called before each attempt, so a retry starts clean. */
export interface OrderedVisitor {
  readonly start: () => void;
  readonly message: (m: OrderedMessage) => void;
}

/**
 * Reads what an ordered consumer with these options has pending now, to the end. A read that a
 * stream leader election stalls part-way is started again (up to 3 times), from `start()`.
 * Returns the number of messages of the complete read.
 */
export async function readOrdered(nc: NatsConnection, stream: string, opts: Partial<OrderedConsumerOptions>, what: string, visit: OrderedVisitor): Promise<number> {
  let stalled: ReadStalled | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      visit.start();
      return await readOnce(nc, stream, opts, what, visit.message);
    } catch (err) {
      // What stalled a read (a frozen server, a leader election not over yet) can leave the next
      // attempt's first requests unanswered too: that attempt stalled as well, and does not end the
      // retries early. The error in the end is the last ReadStalled: how far the last read got.
      if (err instanceof ReadStalled) stalled = err;
      else if (!(stalled && err instanceof errors.TimeoutError)) throw err;
      if (attempt >= ATTEMPTS) throw stalled;
    }
  }
}

async function readOnce(nc: NatsConnection, stream: string, opts: Partial<OrderedConsumerOptions>, what: string, message: (m: OrderedMessage) => void): Promise<number> {
  // A copy: the client writes its generated name_prefix into the options it is given, and a retry
  // with the same options would ask for the first attempt's consumer by name and get it back,
  // part-read, instead of a fresh one.
  const consumer = await jetstream(nc).consumers.get(stream, { ...opts });
  try {
    return await readAll(consumer, what, message);
  } finally {
    // Closed, an ordered consumer stays on the server for its inactive threshold (5 minutes):
    // every `versions.events` request would leave one there. Not waited for: the read is done.
    consumer.delete().catch(() => undefined);
  }
}

async function readAll(consumer: Consumer, what: string, message: (m: OrderedMessage) => void): Promise<number> {
  const pending = (await consumer.info(true)).num_pending;
  if (pending === 0) return 0;
  // Large pulls: 100,000 servers in the default batches of 100 took a thousand round trips.
  const messages = await consumer.consume({ max_messages: PULL_BATCH });
  let read = 0;
  let stalled = false;
  // One timer for the whole read, not one per message: it checks that messages keep coming.
  let progressAt = performance.now();
  const watchdog = setInterval(() => {
    if (performance.now() - progressAt < STALL_MS) return;
    stalled = true;
    messages.stop();
  }, STALL_MS / 5);
  try {
    for await (const m of messages) {
      progressAt = performance.now();
      read++;
      message({ seq: m.seq, subject: m.subject, data: m.data, header: (name) => jsMsgHeader(m, name), storedAt: () => storedAtMs(m) });
      if (m.info.pending === 0) break;
    }
  } finally {
    clearInterval(watchdog);
    await messages.close();
  }
  if (stalled) throw new ReadStalled(`reading ${what} stalled after ${read} of ${pending} messages`);
  return read;
}
