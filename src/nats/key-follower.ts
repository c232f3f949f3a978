import type { KV, KvWatchEntry } from "@nats-io/kv";
import type { QueuedIterator } from "@nats-io/nats-core";
import type { Logger } from "pino";

const RETRY_MS = 1000;

/**
 * Follows one key of the bucket with a KV watch: its current value at start, then every change,
 * on every instance; a watch that dies is started again (the bucket recreated, a server restarted).
 */
export class KeyFollower {
  #watcher: QueuedIterator<KvWatchEntry> | undefined;
  #following: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly kv: KV,
    private readonly key: string,
    private readonly log: Logger,
    private readonly onEntry: (e: KvWatchEntry) => void,
  ) {}

  async start(): Promise<void> {
    this.#watcher = await this.kv.watch({ key: this.key });
    this.#following = this.#follow(this.#watcher);
  }

  async #follow(first: QueuedIterator<KvWatchEntry>): Promise<void> {
    for (let watcher: QueuedIterator<KvWatchEntry> | undefined = first; !this.#stopped; ) {
      try {
        if (watcher) for await (const e of watcher) this.onEntry(e);
      } catch (err) {
        this.log.warn({ key: this.key, err: (err as Error).message }, "following a bucket key failed; starting again");
      }
      if (this.#stopped) return;
      await new Promise((r) => setTimeout(r, RETRY_MS));
      watcher = this.#watcher = await this.kv.watch({ key: this.key }).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.stop();
    await this.#following;
  }
}
