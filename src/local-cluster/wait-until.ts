/** Thrown by a probe when waiting longer cannot help (the process it waits for has exited). */
export class GiveUp extends Error {
  override name = "GiveUp";
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails with the last reason once
 * `timeoutMs` has passed. Polling to a deadline instead of sleeping a fixed time keeps tests fast
 * on a quick machine and patient on a slow one.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
