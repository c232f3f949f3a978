import type { Logger } from "pino";

const R3_ATTEMPTS = 10;

/**
 * Creates a bucket or stream with the replicas asked for; "auto" means R3 where the cluster can
 * place it, else R1. A peer that is still starting (or restarting) refuses placement for a moment;
 * a cluster of fewer than three JetStream servers refuses it for good.
 */
export async function createReplicated<T>(what: string, replicas: number | "auto", create: (replicas: number) => Promise<T>, log: Logger): Promise<T> {
  if (replicas !== "auto") return create(replicas);
  let last: unknown;
  for (let attempt = 0; attempt < R3_ATTEMPTS; attempt++) {
    try {
      return await create(3);
    } catch (err) {
      last = err;
      if (!/peer offline|no suitable peers/i.test((err as Error).message) || /insufficient/i.test((err as Error).message)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  log.warn({ err: (last as Error).message, what }, "could not create it R3; falling back to R1");
  return create(1);
}
