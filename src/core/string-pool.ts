/**
 * One held instance of each equal string. Every advertisement decodes its own copies of a
 * cluster's name, a version, a Go version: at 100,000 servers that was a hundred bytes a server
 * of strings held many times over. Bounded, so that values that never repeat cannot grow it
 * without end: past `max` distinct strings it starts afresh.
 */
export class StringPool {
  readonly #pool = new Map<string, string>();

  constructor(readonly max = 10_000) {}

  intern(s: string): string {
    const held = this.#pool.get(s);
    if (held !== undefined) return held;
    if (this.#pool.size >= this.max) this.#pool.clear();
    this.#pool.set(s, s);
    return s;
  }

  get size(): number {
    return this.#pool.size;
  }
}
