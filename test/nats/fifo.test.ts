import test from "ava";
import { Fifo } from "../../src/nats/fifo.js";

test("items come out in the order they went in, across compactions, pushes and shifts interleaved", (t) => {
  const q = new Fifo<number>();
  const reference: number[] = [];
  let next = 0;
  let seed = 7;
  const pick = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  for (let step = 0; step < 20_000; step++) {
    // Pushes win a little more often: the queue grows past the compaction threshold, then drains.
    if (step < 15_000 ? pick(5) < 3 : pick(5) === 0) {
      q.push(next);
      reference.push(next++);
    } else t.is(q.shift(), reference.shift());
    if (q.size !== reference.length) return t.fail(`step ${step}: size ${q.size}, expected ${reference.length}`);
  }
  while (reference.length > 0) t.is(q.shift(), reference.shift());
  t.is(q.size, 0);
  t.is(q.shift(), undefined, "an empty queue gives nothing");
});

test("clear empties it; it takes items again after", (t) => {
  const q = new Fifo<string>();
  for (const s of ["a", "b", "c"]) q.push(s);
  q.shift();
  q.clear();
  t.is(q.size, 0);
  q.push("d");
  t.is(q.shift(), "d");
});
