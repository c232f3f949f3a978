/**
 * The monitor's pings to every server, numbered so that answers are counted per round: "how many
 * servers answered the last ping" is a fact the report states, not an impression. Pure.
 */
export interface PingRound {
  readonly id: string;
  readonly at: number;
  readonly answered: ReadonlySet<string>;
}

/** Answers to a ping arrive well within this; a round younger than it is still being answered. */
export const PING_ANSWER_MS = 2000;

export class PingRounds {
  #seq = 0;
  #latest: { id: string; at: number; answered: Set<string> } | undefined;
  #previous: PingRound | undefined;

  /** Starts a round; its id goes into the reply subject. */
  begin(now: number): string {
    this.#previous = this.#latest;
    this.#latest = { id: String(++this.#seq), at: now, answered: new Set() };
    return this.#latest.id;
  }

  answered(id: string, server: string): void {
    if (this.#latest?.id === id) this.#latest.answered.add(server);
    else if (this.#previous?.id === id) (this.#previous.answered as Set<string>).add(server);
  }

  /** The latest round whose answers have had time to arrive; the first round while it is the only one. */
  last(now: number): PingRound | undefined {
    if (this.#latest && now - this.#latest.at >= PING_ANSWER_MS) return this.#latest;
    return this.#previous ?? this.#latest;
  }
}
