import type { NatsConnection } from "@nats-io/nats-core";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";

/** A pull that is never answered (permissions, a leader election) must not hang start-up. */
const STALL_MS = 5000;

/**
 * Reads the latest value of every key under `prefix` with one ordered consumer (not a get per key),
 * calling `onEntry` for each live value. Deleted and purged keys are skipped.
 */
export async function scanLatest(
  nc: NatsConnection,
  bucket: string,
  prefix: string,
  onEntry: (key: string, revision: number, data: Uint8Array) => void,
): Promise<number> {
  // A stream leader election can stall a read part-way; it is read again from the start, and
  // nothing is handed on until one read is complete, so no entry is seen twice.
  for (let attempt = 1; ; attempt++) {
    try {
      const entries = await readLatest(nc, bucket, prefix);
      for (const [key, revision, data] of entries) onEntry(key, revision, data);
      return entries.length;
    } catch (err) {
      if (!(err instanceof ScanStalled) || attempt >= SCAN_ATTEMPTS) throw err;
    }
  }
}

const SCAN_ATTEMPTS = 3;

class ScanStalled extends Error {
  override name = "ScanStalled";
}

async function readLatest(nc: NatsConnection, bucket: string, prefix: string): Promise<[string, number, Uint8Array][]> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(`KV_${bucket}`, {
    filter_subjects: `$KV.${bucket}.${prefix}>`,
    deliver_policy: DeliverPolicy.LastPerSubject,
  });
  const pending = (await consumer.info(true)).num_pending;
  if (pending === 0) return [];
  const messages = await consumer.consume();
  const entries: [string, number, Uint8Array][] = [];
  let seen = 0;
  let stalled = false;
  const arm = () => setTimeout(() => ((stalled = true), messages.stop()), STALL_MS);
  let watchdog = arm();
  try {
    for await (const m of messages) {
      clearTimeout(watchdog);
      watchdog = arm();
      seen++;
      const op = m.headers?.get("KV-Operation");
      if (op !== "DEL" && op !== "PURGE") entries.push([m.subject.slice(`$KV.${bucket}.`.length), m.seq, m.data]);
      if (m.info.pending === 0) break;
    }
  } finally {
    clearTimeout(watchdog);
    await messages.close();
  }
  if (stalled) throw new ScanStalled(`reading ${prefix}> from bucket ${bucket} stalled after ${seen} of ${pending} entries`);
  return entries;
}
