/**
 * The names a server lists (its routes, its gateways) as a sorted array without repeats. A
 * server lists a handful: an array holds them in a third of a Set's memory, and at 100,000
 * servers the Sets were 40 % of the fleet's heap.
 */
export type SortedNames = readonly string[];

/** Orders names as a sorted list holds them (code units, as `sort()` does). */
export const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One shared empty list: most servers have no gateways, and an edge server no routes. */
export const NO_NAMES: SortedNames = Object.freeze([]);

/** The names sorted, without repeats; `canonical` may swap each name for an equal string already held. */
export function sortedNames(names: readonly string[], canonical: (name: string) => string = (n) => n): SortedNames {
  if (names.length === 0) return NO_NAMES;
  const out = [...new Set(names)].sort();
  for (let i = 0; i < out.length; i++) out[i] = canonical(out[i]!);
  return out;
}

export function sameNames(a: SortedNames, b: SortedNames): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether the sorted list holds `name`, by binary search: a cluster's check asks this of every peer. */
export function listsName(list: SortedNames, name: string): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = list[mid]!;
    if (x === name) return true;
    if (x < name) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * One held instance of each equal short list: every server of a super-cluster lists the same
 * gateways, and servers linked to the same outside peers the same routes. Bounded twice, so that
 * lists that never repeat (a large cluster's servers each list all the others) cost at most a
 * little: only lists whose names take at most MAX_KEY characters are shared, and past `max`
 * lists the pool starts afresh.
 */
export class SortedNamesPool {
  static readonly MAX_KEY = 256;
  readonly #pool = new Map<string, SortedNames>();

  constructor(readonly max = 4096) {}

  share(list: SortedNames): SortedNames {
    if (list.length === 0) return NO_NAMES;
    let length = list.length;
    for (const n of list) length += n.length;
    if (length > SortedNamesPool.MAX_KEY) return list;
    const key = list.join("\u0000");
    const held = this.#pool.get(key);
    if (held !== undefined) return held;
    if (this.#pool.size >= this.max) this.#pool.clear();
    this.#pool.set(key, list);
    return list;
  }
}
