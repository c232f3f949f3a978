/**
 * What a probe found (who did not answer, see `unreachableServers`) shows only once its answers
 * have had time to arrive. This counts the probes that got there, so that a report is rendered
 * again then, not when the probe is sent: that rendering showed nothing new, and a fleet probed
 * without end (at 100,000 servers, about 200 probes a second) kept the report worker rendering.
 * Pure: times come in as arguments.
 */
export class ProbeSettling {
  /** When each probe not yet settled was sent, oldest first from `#head`. */
  #pending: number[] = [];
  #head = 0;
  #settled = 0;

  constructor(readonly graceMs: number) {}

  sent(at: number): void {
    this.#pending.push(at);
  }

  /** How many probes have settled by `now`; it moves when one more did. */
  settled(now: number): number {
    const pending = this.#pending;
    while (this.#head < pending.length && now - pending[this.#head]! >= this.graceMs) {
      this.#head++;
      this.#settled++;
    }
    // Dropped in one go rather than shifted one by one: a shift copies what stays.
    if (this.#head > 1024 && this.#head * 2 > pending.length) {
      this.#pending = pending.slice(this.#head);
      this.#head = 0;
    }
    return this.#settled;
  }
}
