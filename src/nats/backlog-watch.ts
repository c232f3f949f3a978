/**
 * Where the ingest stands, for pacing renderings: advertisements waiting (`behind`), a backlog of
 * at least `minMs` just taken in and not rendered yet (`caught-up`), or neither (`steady`).
 */
export type IngestState = "steady" | "behind" | "caught-up";

/** Follows backlogs as a shelf's checks see them (monotonic clock); a shorter one than `minMs` is forgotten. */
export class BacklogWatch {
  #since: number | undefined;

  constructor(private readonly minMs: number) {}

  /** The state at `now`, given whether advertisements wait now. */
  see(behind: boolean, now: number): IngestState {
    if (behind) {
      this.#since ??= now;
      return "behind";
    }
    if (this.#since !== undefined && now - this.#since >= this.minMs) return "caught-up";
    this.#since = undefined;
    return "steady";
  }

  /** A rendering started that shows what the backlog held. */
  rendered(): void {
    this.#since = undefined;
  }
}
