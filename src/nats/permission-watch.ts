import { errors, type NatsConnection } from "@nats-io/nats-core";
import type { Logger } from "pino";

/** How a refused operation reads in a message: "publish to" or "subscribe to" (nats.js says "subscription"). */
export function refusedVerb(operation: string): string {
  return operation === "publish" ? "publish to" : "subscribe to";
}

/** A permission the server refused while the service was running, per connection and subject. */
export interface PermissionDenial {
  readonly connection: string;
  readonly operation: string;
  readonly subject: string;
  readonly since: number;
  last: number;
  count: number;
}

export interface PermissionWatchOptions {
  readonly log: Logger;
  readonly now: () => number;
}

/**
 * Hears every permission violation the server reports on the service's connections (an operator
 * edited the accounts and reloaded): each connection, operation and subject is logged once at error
 * level, however often it is refused afterwards (pings every few seconds), and kept for the report.
 */
export class PermissionWatch {
  readonly #denials = new Map<string, PermissionDenial>();
  #stopped = false;

  constructor(private readonly opts: PermissionWatchOptions) {}

  watch(nc: NatsConnection, connection: string): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (this.#stopped) return;
        if (s.type === "error" && s.error instanceof errors.PermissionViolationError) this.note(connection, s.error.operation, s.error.subject);
      }
    })();
  }

  note(connection: string, operation: string, subject: string): void {
    const key = `${connection}\n${operation}\n${subject}`;
    const now = this.opts.now();
    const known = this.#denials.get(key);
    if (known) {
      known.last = now;
      known.count++;
      return;
    }
    this.#denials.set(key, { connection, operation, subject, since: now, last: now, count: 1 });
    this.opts.log.error(
      { connection, operation, subject },
      `the server refuses the ${connection} connection to ${refusedVerb(operation)} ${subject}: its permissions changed; until they are restored the service does not see or do what needs it (logged once)`,
    );
  }

  /** Denials whose last refusal is within `withinMs` of now. */
  recent(withinMs: number): PermissionDenial[] {
    const now = this.opts.now();
    return [...this.#denials.values()].filter((d) => now - d.last <= withinMs);
  }

  get count(): number {
    return this.#denials.size;
  }

  stop(): void {
    this.#stopped = true;
  }
}
