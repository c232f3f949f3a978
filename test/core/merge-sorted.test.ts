import test from "ava";
import { mergeSorted, sliceMerged } from "../../src/core/merge-sorted.js";

const byNumber = (a: number, b: number) => a - b;

/** Deterministic lists of sorted numbers, some empty, with duplicates across and within lists. */
function lists(seed: number, count: number): number[][] {
  let s = seed;
  const next = (n: number) => ((s = (s * 1103515245 + 12345) % 2147483648), s % n);
  return Array.from({ length: count }, () => Array.from({ length: next(12) }, () => next(50)).sort(byNumber));
}

test("merging sorted lists gives what sorting them all gives, for any number of lists", (t) => {
  for (let seed = 1; seed <= 200; seed++) {
    const ls = lists(seed, 1 + (seed % 17));
    t.deepEqual([...mergeSorted(ls, byNumber)], ls.flat().sort(byNumber), `seed ${seed}`);
  }
});

test("a slice of the merged lists is that slice of the sorted whole, at any start and length", (t) => {
  const ls = lists(7, 9);
  const all = ls.flat().sort(byNumber);
  for (const [start, count] of [[0, 0], [0, 1], [0, 5], [3, 4], [all.length - 2, 10], [all.length, 3], [all.length + 5, 1]] as const) {
    t.deepEqual(sliceMerged(ls, byNumber, start, count), all.slice(start, start + count), `${start}+${count}`);
  }
  t.deepEqual(sliceMerged([[1, 2, 3]], byNumber, 1, 1), [2], "one list: a plain slice");
  t.deepEqual(sliceMerged([], byNumber, 0, 3), []);
});

test("equal items keep the order of their lists: the earlier list first", (t) => {
  const a = [{ k: 1, from: "a" }, { k: 2, from: "a" }];
  const b = [{ k: 1, from: "b" }, { k: 2, from: "b" }];
  t.deepEqual([...mergeSorted([a, b], (x, y) => x.k - y.k)].map((x) => `${x.k}${x.from}`), ["1a", "1b", "2a", "2b"]);
});

test("only what is taken is merged: the first item of 1,000 lists of 1,000 comes at once", (t) => {
  const big = Array.from({ length: 1000 }, (_, i) => Array.from({ length: 1000 }, (_, j) => j * 1000 + i));
  const started = performance.now();
  t.deepEqual(sliceMerged(big, byNumber, 0, 3), [0, 1, 2]);
  t.true(performance.now() - started < 50, "a heap of the lists' heads, not a sort of a million items");
});

test("slices near the start (picked) and deep ones (merged) are both the slice of the stable sort, equal items in list order", (t) => {
  let s = 3;
  // The high bits: an LCG's low bits repeat with a short period.
  const next = (n: number) => ((s = (s * 1103515245 + 12345) % 2147483648), Math.floor((s / 2147483648) * n));
  const byK = (a: { k: number }, b: { k: number }) => a.k - b.k;
  for (let round = 0; round < 60; round++) {
    // Few keys among many items: ties across lists and within them.
    const ls = Array.from({ length: 1 + next(400) }, (_, l) => Array.from({ length: next(8) }, (_, i) => ({ k: next(300), l, i })).sort(byK));
    const all = ls.flat().sort((a, b) => byK(a, b) || a.l - b.l || a.i - b.i);
    for (const [start, count] of [[0, 1], [0, 100], [0, 50], [next(900), 1 + next(100)], [990, 20], [1000, 5], [next(all.length + 10), 1 + next(150)]] as const) {
      const got = sliceMerged(ls, byK, start, count);
      const want = all.slice(start, start + count);
      if (JSON.stringify(got) !== JSON.stringify(want)) return t.fail(`round ${round}, ${ls.length} lists: ${start}+${count}`);
    }
  }
  t.pass();
});

test("the first page of 33,334 lists of 3 names is quick and right", (t) => {
  const lists = Array.from({ length: 33_334 }, (_, c) => [c, c + 33_334, c + 66_668].filter((i) => i < 100_000).map((i) => `g-${i}`).sort());
  const started = performance.now();
  const page = sliceMerged(lists, (a, b) => (a < b ? -1 : a > b ? 1 : 0), 0, 100);
  const took = performance.now() - started;
  t.deepEqual(page, lists.flat().sort().slice(0, 100));
  t.true(took < 20, `${took.toFixed(1)} ms`);
});
