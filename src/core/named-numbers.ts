/**
 * A few numbers per name, in typed-array columns: for what an adapter keeps about every server
 * (a KV revision, the last-seen time last saved). Two Maps of numbers cost about 100 bytes a
 * server at 100,000 servers, their times each boxed on the heap; this costs one Map entry and 8
 * bytes a number.
 */
export class NamedNumbers {
  readonly #slots = new Map<string, number>();
  readonly #free: number[] = [];
  #used = 0;
  #values: Float64Array;

  constructor(readonly columns: number) {
    this.#values = new Float64Array(64 * columns).fill(NaN);
  }

  /** The number in `column` for `name`; undefined where none was set. */
  get(name: string, column: number): number | undefined {
    const slot = this.#slots.get(name);
    if (slot === undefined) return undefined;
    const v = this.#values[slot * this.columns + column]!;
    return v === v ? v : undefined;
  }

  set(name: string, column: number, value: number): void {
    let slot = this.#slots.get(name);
    if (slot === undefined) {
      slot = this.#free.pop() ?? this.#used++;
      if ((slot + 1) * this.columns > this.#values.length) this.#grow();
      this.#slots.set(name, slot);
    }
    this.#values[slot * this.columns + column] = value;
  }

  /** Unsets one number; the name stays while it has another. */
  unset(name: string, column: number): void {
    const slot = this.#slots.get(name);
    if (slot === undefined) return;
    const at = slot * this.columns;
    this.#values[at + column] = NaN;
    for (let c = 0; c < this.columns; c++) if (this.#values[at + c] === this.#values[at + c]) return;
    this.delete(name);
  }

  /** Unsets one column for every name (names left with no number go). */
  unsetColumn(column: number): void {
    for (const name of [...this.#slots.keys()]) this.unset(name, column);
  }

  delete(name: string): void {
    const slot = this.#slots.get(name);
    if (slot === undefined) return;
    this.#slots.delete(name);
    this.#values.fill(NaN, slot * this.columns, (slot + 1) * this.columns);
    this.#free.push(slot);
  }

  clear(): void {
    this.#slots.clear();
    this.#free.length = 0;
    this.#used = 0;
    this.#values.fill(NaN);
  }

  get size(): number {
    return this.#slots.size;
  }

  #grow(): void {
    const next = new Float64Array(Math.ceil(this.#values.length * 1.25 / this.columns) * this.columns + this.columns).fill(NaN);
    next.set(this.#values);
    this.#values = next;
  }
}
