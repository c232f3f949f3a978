/**
 * Runs `work` on every item, at most `limit` at a time, and resolves once all have finished
 * (`work` handles its own failures). Items are started in order.
 */
export async function boundedAll<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
