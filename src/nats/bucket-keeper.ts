import type { NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { errorCauses } from "./error-causes.js";

export interface BucketKeeperOptions {
  readonly bucket: string;
  readonly intervalMs: number;
  readonly log: Logger;
  /** Creates the bucket again and writes back what the service holds in memory; returns what it wrote. */
  readonly recreate: () => Promise<Record<string, number>>;
  readonly now: () => number;
}

/** "stream not found" twice in a row: one answer from a server catching up is not enough to act on. */
const NOT_FOUND_TIMES = 2;

function isStreamNotFound(err: unknown): boolean {
  return [...errorCauses(err)].some((e) => e.code === 10059 || /stream not found/i.test(e.message));
}

/**
 * Notices that the bucket's stream is gone (an operator deleted it) and creates it again with what
 * the service holds in memory, so that first-seen times and mismatch records survive the next
 * restart. A JetStream that does not answer (no quorum, elections) is not a deleted bucket.
 */
export class BucketKeeper {
  recreations = 0;
  lastRecreatedAt: number | undefined;
  #notFound = 0;
  #jsm: JetStreamManager | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: BucketKeeperOptions,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.check(), this.opts.intervalMs);
    this.#timer.unref();
  }

  /** Checks now (also after a write failed); checks never overlap. */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #check(): Promise<void> {
    try {
      this.#jsm ??= await jetstreamManager(this.nc, { checkAPI: false });
      await this.#jsm.streams.info(`KV_${this.opts.bucket}`);
      this.#notFound = 0;
    } catch (err) {
      this.opts.log.debug({ err: (err as Error).message, name: (err as Error).name, code: (err as { code?: number }).code }, "checking that the KV stream exists failed");
      if (!isStreamNotFound(err)) return;
      if (++this.#notFound < NOT_FOUND_TIMES) return;
      this.#notFound = 0;
      await this.#recreate();
    }
  }

  async #recreate(): Promise<void> {
    try {
      const wrote = await this.opts.recreate();
      this.recreations++;
      this.lastRecreatedAt = this.opts.now();
      this.opts.log.error({ bucket: this.opts.bucket, ...wrote }, "the KV bucket was deleted; created it again and wrote back what this instance holds");
    } catch (err) {
      this.opts.log.warn({ bucket: this.opts.bucket, err: (err as Error).message }, "the KV bucket is gone and could not be created again yet; retrying");
    }
  }

  stop(): Promise<void> {
    clearInterval(this.#timer);
    return this.#checking ?? Promise.resolve();
  }
}
