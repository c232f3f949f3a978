import type { NatsConnection, Subscription } from "@nats-io/nats-core";
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
