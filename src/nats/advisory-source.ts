import type { KV, KvWatchEntry } from "@nats-io/kv";
import type { Logger } from "pino";
import { parseAdvisoryDataset, type AdvisoryDataset } from "../core/advisory.js";
import { KeyFollower } from "./key-follower.js";

/** The bucket key an operator's newer dataset is loaded into (`advisories load FILE`). */
export const ADVISORIES_KEY = "advisories.dataset";

export interface AdvisorySourceOptions {
  readonly bundled: AdvisoryDataset;
  readonly log: Logger;
  /** Called with the dataset to use from now on. */
  readonly onChange: (dataset: AdvisoryDataset) => void;
}


/**
 * Which advisory dataset is in use: the one bundled with this build, or a newer one an operator
 * loaded into the bucket, which every instance follows with a KV watch. An older stored dataset
 * than the bundled one is not used (a newer build brings newer data); a broken one is ignored.
 */
export class AdvisorySource {
  #current: AdvisoryDataset;
  readonly #follower: KeyFollower;

  constructor(
    kv: KV,
    private readonly opts: AdvisorySourceOptions,
  ) {
    this.#current = opts.bundled;
    this.#follower = new KeyFollower(kv, ADVISORIES_KEY, opts.log, (e) => this.#take(e));
  }

  get current(): AdvisoryDataset {
    return this.#current;
  }

  start(): Promise<void> {
    return this.#follower.start();
  }

  #take(e: KvWatchEntry): void {
    if (e.operation !== "PUT") return this.#use(this.opts.bundled, "the stored dataset was removed; using the bundled one");
    let stored: AdvisoryDataset;
    try {
      stored = parseAdvisoryDataset(JSON.parse(new TextDecoder().decode(e.value)));
    } catch (err) {
      this.opts.log.warn({ key: ADVISORIES_KEY, revision: e.revision, err: (err as Error).message }, "ignoring an advisory dataset in the bucket that does not validate");
      return;
    }
    if (stored.as_of < this.opts.bundled.as_of) {
      this.opts.log.info({ stored: stored.as_of, bundled: this.opts.bundled.as_of }, "the stored advisory dataset is older than the bundled one; using the bundled one");
      return this.#use(this.opts.bundled, "");
    }
    this.#use(stored, "using the advisory dataset loaded into the bucket");
  }

  #use(dataset: AdvisoryDataset, why: string): void {
    if (dataset === this.#current) return;
    this.#current = dataset;
    if (why) this.opts.log.info({ source: dataset.source, as_of: dataset.as_of, advisories: dataset.advisories.length }, why);
    this.opts.onChange(dataset);
  }

  stop(): Promise<void> {
    return this.#follower.stop();
  }
}
