import test from "ava";
import { boundedAll } from "../../src/nats/bounded-all.js";

test("every item once, in order of start, never more than the limit at a time", async (t) => {
  const started: number[] = [];
  let running = 0;
  let most = 0;
  await boundedAll(Array.from({ length: 50 }, (_, i) => i), 4, async (i) => {
    started.push(i);
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, (i * 7) % 5));
    running--;
  });
  t.deepEqual(started, Array.from({ length: 50 }, (_, i) => i));
  t.is(most, 4);
  t.is(running, 0, "all finished before it resolved");
});

test("no items, and fewer items than the limit", async (t) => {
  await boundedAll([], 16, async () => t.fail());
  const seen: string[] = [];
  await boundedAll(["a", "b"], 16, async (x) => void seen.push(x));
  t.deepEqual(seen, ["a", "b"]);
});
