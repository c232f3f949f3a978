import type { NatsConnection } from "@nats-io/nats-core";
import { DeliverPolicy } from "@nats-io/jetstream";
import { readOrdered } from "./read-ordered.js";

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
  // Handed on only once a read is complete: a read started again must not deliver an entry twice.
  let entries: [string, number, Uint8Array][] = [];
  await readOrdered(nc, `KV_${bucket}`, { filter_subjects: `$KV.${bucket}.${prefix}>`, deliver_policy: DeliverPolicy.LastPerSubject }, `${prefix}> from bucket ${bucket}`, {
    start: () => (entries = []),
    message: (m) => {
      const op = m.header("KV-Operation");
      if (op !== "DEL" && op !== "PURGE") entries.push([m.subject.slice(`$KV.${bucket}.`.length), m.seq, m.data]);
    },
  });
  for (const [key, revision, data] of entries) onEntry(key, revision, data);
  return entries.length;
}
