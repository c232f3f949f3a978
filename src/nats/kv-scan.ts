import type { NatsConnection } from "@nats-io/nats-core";
import { DeliverPolicy } from "@nats-io/jetstream";
import { readOrdered } from "./read-ordered.js";

/**
 * Reads the latest value of every key under `prefix` with one ordered consumer (not a get per key),
 * calling `onEntry` for each live value. Deleted and purged keys are skipped. `parse` (pure) runs
 * as each value arrives, so that decoding overlaps the wait for the next messages; `onEntry` runs
 * once the read is complete.
 */
export async function scanLatest<T = Uint8Array>(
  nc: NatsConnection,
  bucket: string,
  prefix: string,
  onEntry: (key: string, revision: number, value: T) => void,
  parse: (key: string, data: Uint8Array) => T = (_key, data) => data as T,
): Promise<number> {
  // Handed on only once a read is complete: a read started again must not deliver an entry twice.
  let entries: [string, number, T][] = [];
  await readOrdered(nc, `KV_${bucket}`, { filter_subjects: `$KV.${bucket}.${prefix}>`, deliver_policy: DeliverPolicy.LastPerSubject }, `${prefix}> from bucket ${bucket}`, {
    start: () => (entries = []),
    message: (m) => {
      // A delete or purge marker has no value (ADR-8): only an empty entry's headers are read.
      // Stored entries carry headers (the compare-and-set ones they were written with), and
      // decoding them took ~0.2 s of reading 100,000 servers at a start.
      if (m.data.length === 0) {
        const op = m.header("KV-Operation");
        if (op === "DEL" || op === "PURGE") return;
      }
      const key = m.subject.slice(`$KV.${bucket}.`.length);
      entries.push([key, m.seq, parse(key, m.data)]);
    },
  });
  for (const [key, revision, value] of entries) onEntry(key, revision, value);
  return entries.length;
}
