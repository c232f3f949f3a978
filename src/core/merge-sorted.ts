/**
 * The items of lists each already sorted, in order, taken lazily: the first page of 100,000 servers
 * held in 1,000 sorted clusters costs a hundred steps of a heap, not a sort of them all.
 */
export function* mergeSorted<T>(lists: readonly (readonly T[])[], compare: (a: T, b: T) => number): Generator<T, void, undefined> {
  // A binary min-heap of [list, position] by the item at that position.
  const heap: [number, number][] = [];
  const item = ([l, i]: [number, number]) => lists[l]![i]!;
  const less = (a: [number, number], b: [number, number]) => {
    const c = compare(item(a), item(b));
    return c < 0 || (c === 0 && a[0] < b[0]);
  };
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) return;
      swap(i, p);
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  lists.forEach((list, l) => {
    if (list.length > 0) {
      heap.push([l, 0]);
      up(heap.length - 1);
    }
  });
  while (heap.length > 0) {
    const top = heap[0]!;
    yield item(top);
    // The top moves on in place: a new pair per item was most of what a merge of 10,000 allocated.
    if (top[1] + 1 < lists[top[0]]!.length) top[1]++;
    else {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) down(0);
  }
}

/** Up to this many items are picked by `smallest`; deeper slices go through the heap. */
const PICK_MAX = 1000;

/** Items `start` to `start + count` of the merged lists. */
export function sliceMerged<T>(lists: readonly (readonly T[])[], compare: (a: T, b: T) => number, start: number, count: number): T[] {
  if (lists.length === 1) return lists[0]!.slice(start, start + count);
  if (count <= 0) return [];
  if (start + count <= PICK_MAX) return smallest(lists, compare, start + count).slice(start);
  const out: T[] = [];
  let i = 0;
  for (const x of mergeSorted(lists, compare)) {
    if (i++ < start) continue;
    if (out.length >= count) break;
    out.push(x);
  }
  return out;
}

/**
 * The `need` first items of the merged lists, in merged order (equal items: the earlier list's
 * first). Each list is read only while its items could still be among them, so a first page of
 * 33,000 clusters of 3 costs about one comparison per cluster; the heap made a node per list and
 * took about 27 ms of a whole-system report of such a fleet.
 */
function smallest<T>(lists: readonly (readonly T[])[], compare: (a: T, b: T) => number, need: number): T[] {
  const best: T[] = [];
  for (const list of lists) {
    for (const x of list) {
      // Full and not smaller than the last kept: neither is the rest of this sorted list.
      if (best.length >= need && compare(x, best[best.length - 1]!) >= 0) break;
      // After every kept item not greater than it: the earlier list's, and this list's own order.
      let lo = 0;
      let hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compare(best[mid]!, x) <= 0) lo = mid + 1;
        else hi = mid;
      }
      best.splice(lo, 0, x);
      if (best.length > need) best.pop();
    }
  }
  return best;
}
