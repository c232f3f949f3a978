import type { KV, KvWatchEntry } from "@nats-io/kv";
import type { QueuedIterator } from "@nats-io/nats-core";
import type { Logger } from "pino";
import { parseAdvisoryDataset, type AdvisoryDataset } from "../core/advisory.js";

/** The bucket key an operator's newer dataset is loaded into (`advisories load FILE`). */
export const ADVISORIES_KEY = "advisories.dataset";

export interface AdvisorySourceOptions {
  readonly bundled: AdvisoryDataset;
  readonly log: Logger;
  /** Called with the dataset to use from now on. */
  readonly onChange: (dataset: AdvisoryDataset) => void;
}

const RETRY_MS = 1000;

/**
 * Which advisory dataset is in use: the one bundled with this build, or a newer one an operator
 * loaded into the bucket, which every instance follows with a KV watch. An older stored dataset
 * than the bundled one is not used (a newer build brings newer data); a broken one is ignored.
 */
export class AdvisorySource {
  #current: AdvisoryDataset;
  #watcher: QueuedIterator<KvWatchEntry> | undefined;
  #following: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly kv: KV,
    private readonly opts: AdvisorySourceOptions,
  ) {
    this.#current = opts.bundled;
  }

  get current(): AdvisoryDataset {
    return this.#current;
  }

  async start(): Promise<void> {
    this.#watcher = await this.kv.watch({ key: ADVISORIES_KEY });
    this.#following = this.#follow(this.#watcher);
  }

  async #follow(first: QueuedIterator<KvWatchEntry>): Promise<void> {
    for (let watcher = first; !this.#stopped; ) {
      try {
        for await (const e of watcher) this.#take(e);
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, "following the advisory dataset failed; starting again");
      }
      if (this.#stopped) return;
      await new Promise((r) => setTimeout(r, RETRY_MS));
      try {
        watcher = this.#watcher = await this.kv.watch({ key: ADVISORIES_KEY });
      } catch {
        // the next round tries again
      }
    }
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

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.stop();
    await this.#following;
  }
}
