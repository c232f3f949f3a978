import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import type { MismatchEvent } from "../../src/core/mismatch-event.js";

export interface ReceivedEvent {
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly receivedAt: number;
  readonly event: MismatchEvent;
}

/** Collects every versions.mismatch event (system and per cluster) as a subscriber sees them. */
export class EventLog {
  readonly all: ReceivedEvent[] = [];
  readonly #sub: Subscription;

  constructor(nc: NatsConnection, subject = "versions.mismatch.>") {
    const take = (subject: string) =>
      nc.subscribe(subject, {
        callback: (_err, m) => {
          this.all.push({ subject: m.subject, msgId: m.headers?.get("Nats-Msg-Id") || undefined, receivedAt: Date.now(), event: m.json<MismatchEvent>() });
        },
      });
    this.#sub = take(subject);
    if (subject === "versions.mismatch.>") this.#extra = take("versions.mismatch");
  }
  #extra: Subscription | undefined;

  of(scope: string): ReceivedEvent[] {
    return this.all.filter((e) => e.event.scope === scope);
  }

  types(scope: string): string[] {
    return this.of(scope).map((e) => e.event.type);
  }

  stop(): void {
    this.#sub.unsubscribe();
    this.#extra?.unsubscribe();
  }
}

/** Every running instance's count of mismatch evaluations, from `$SRV.STATS` (what `nats micro stats` shows). */
async function evaluations(nc: NatsConnection): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const it = await nc.requestMany("$SRV.STATS.version-monitor", "", { maxWait: 1000 });
  for await (const m of it) {
    const s = m.json<{ id: string; endpoints: { data?: { mismatch?: { evaluations?: number } } }[] }>();
    out.set(s.id, s.endpoints[0]?.data?.mismatch?.evaluations ?? 0);
  }
  return out;
}

/**
 * Waits until no more events can come from what has happened: every instance has judged the fleet
 * at least `rounds` more times, and every event the stream stored has reached `log`. Observable
 * counters, not a sleep.
 */
export async function eventsSettled(nc: NatsConnection, log: EventLog, rounds = 2, timeoutMs = 30_000): Promise<void> {
  const start = await evaluations(nc);
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await evaluations(nc);
    const judged = start.size > 0 && [...start].every(([id, n]) => (now.get(id) ?? 0) >= n + rounds);
    const stored = (await jsm.streams.info("version-monitor-events")).state.messages;
    const received = new Set(log.all.map((e) => e.event.id)).size;
    if (judged && received >= stored) return;
    if (Date.now() > deadline) throw new Error(`events not settled: judged ${judged}, ${received} of ${stored} stored events received`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
