import type { ServerObservation } from "./observation.js";
import { isRepeat, ServerState, VersionChangeKind, type RepeatFacts, type ServerRecord, type VersionChange } from "./server-record.js";
import { NO_NAMES, type SortedNames } from "./sorted-names.js";
import { StringPool } from "./string-pool.js";

/** Whom a server was connected to, by its latest STATSZ, received at `at`. */
export interface Sighting {
  readonly routes: SortedNames;
  readonly gateways: SortedNames;
  readonly connections: number;
  readonly jetstream: boolean;
  readonly at: number;
}

/**
 * What telling a dead server from a quiet one reads of a server (see reachability.ts): read from
 * the columns, so that checking every cluster twice a second makes no record.
 */
export interface ReachFacts {
  readonly name: string;
  readonly state: ServerState;
  readonly version: string;
  readonly lastSeen: number;
  /** When its latest STATSZ arrived; undefined before the first. */
  readonly sightedAt: number | undefined;
  /** Whom that STATSZ listed as routes. */
  readonly routes: SortedNames;
}

const STATES: readonly ServerState[] = [ServerState.Running, ServerState.LameDuck, ServerState.ShutDown];
const STATE_CODE: Readonly<Record<ServerState, number>> = { running: 0, "lame-duck": 1, "shut-down": 2 };
const LEAF = 1;
const JETSTREAM = 2;

/**
 * What a server has in common with its peers: cluster, domain, version and build. Held once per
 * combination (a fleet has a few per cluster), counted, and dropped when no server has it.
 */
interface Profile {
  readonly key: string;
  readonly cluster: string;
  readonly domain: string;
  readonly version: string;
  readonly go: string | undefined;
  readonly gitCommit: string | undefined;
  servers: number;
}

class ProfilePool {
  readonly #byKey = new Map<string, Profile>();

  take(r: ServerRecord): Profile {
    const key = `${r.cluster}\u0000${r.domain}\u0000${r.version}\u0000${r.go ?? "\u0001"}\u0000${r.gitCommit ?? "\u0001"}`;
    let p = this.#byKey.get(key);
    if (!p) {
      const { cluster, domain, version, go, gitCommit } = r;
      this.#byKey.set(key, (p = { key, cluster, domain, version, go, gitCommit, servers: 0 }));
    }
    p.servers++;
    return p;
  }

  release(p: Profile): void {
    if (--p.servers === 0) this.#byKey.delete(p.key);
  }
}

/** Numbers by slot in a typed array, grown as needed (see ServerTable's #grow). */
class Column<A extends Float64Array | Int32Array | Uint8Array> {
  values: A;

  constructor(private readonly make: (length: number) => A) {
    this.values = make(0);
  }

  grow(capacity: number): void {
    const next = this.make(capacity);
    next.set(this.values);
    this.values = next;
  }
}

const times = () => new Column((n) => new Float64Array(n));

/** A time column's unknown (NaN) as undefined. */
const known = (t: number): number | undefined => (t === t ? t : undefined);

/**
 * The fleet's server records, stored by column: one slot per server, its times in typed arrays,
 * its own strings in arrays of references, what it shares with its peers (cluster, domain,
 * version, build) as one reference to a shared profile, and a history only where it says more
 * than when the server was first seen. A record held as an object cost about 350 bytes (the
 * object, a box for each of its five times, a history array with its one entry) in each of the
 * two threads that keep the fleet; a slot costs about 120. Records are made from a slot when
 * asked for, and are the caller's to keep: nothing here holds them.
 */
export class ServerTable {
  readonly #slots = new Map<string, number>();
  readonly #free: number[] = [];
  #capacity = 0;
  #used = 0;
  /** Versions in histories: held once however many servers repeat them. */
  readonly #strings = new StringPool();
  readonly #profiles = new ProfilePool();
  readonly #name: (string | undefined)[] = [];
  readonly #id: string[] = [];
  readonly #host: string[] = [];
  readonly #profile: (Profile | undefined)[] = [];
  /** Histories other than the usual one (only the first sighting, of the version the server still runs), by slot. */
  readonly #history = new Map<number, readonly VersionChange[]>();
  readonly #routes: SortedNames[] = [];
  readonly #gateways: SortedNames[] = [];
  readonly #state = new Column((n) => new Uint8Array(n));
  readonly #flags = new Column((n) => new Uint8Array(n));
  readonly #connections = new Column((n) => new Int32Array(n));
  /** NaN where unknown. */
  readonly #startedAt = times();
  readonly #firstSeen = times();
  readonly #versionSince = times();
  readonly #lastSeen = times();
  readonly #stateSince = times();
  /** When the latest STATSZ arrived; NaN before the first. */
  readonly #sightedAt = times();
  readonly #columns = [this.#state, this.#flags, this.#connections, this.#startedAt, this.#firstSeen, this.#versionSince, this.#lastSeen, this.#stateSince, this.#sightedAt];
  /** One slot's facts for isRepeat, filled in place by repeats(). */
  readonly #facts: { -readonly [K in keyof RepeatFacts]: RepeatFacts[K] } = { id: "", version: "", cluster: "", domain: "", host: "" };

  get size(): number {
    return this.#slots.size;
  }

  slot(name: string): number | undefined {
    return this.#slots.get(name);
  }

  /** Every server's slot, in the order the servers were first stored. */
  slots(): IterableIterator<number> {
    return this.#slots.values();
  }

  /** Stores a record in its server's slot (a new one for a new server); returns the slot. */
  put(r: ServerRecord): number {
    let slot = this.#slots.get(r.name);
    if (slot === undefined) {
      slot = this.#allocate();
      this.#slots.set(r.name, slot);
      this.#name[slot] = r.name;
      this.#routes[slot] = NO_NAMES;
      this.#gateways[slot] = NO_NAMES;
      this.#sightedAt.values[slot] = NaN;
      this.#connections.values[slot] = 0;
    }
    this.#id[slot] = r.id;
    this.#host[slot] = r.host;
    const held = this.#profile[slot];
    this.#profile[slot] = this.#profiles.take(r);
    if (held) this.#profiles.release(held);
    if (usualHistory(r)) this.#history.delete(slot);
    else this.#history.set(slot, r.history.map((c) => this.#change(c)));
    this.#state.values[slot] = STATE_CODE[r.state];
    this.#flags.values[slot] = (this.#flags.values[slot]! & ~LEAF) | (r.leaf ? LEAF : 0);
    this.#startedAt.values[slot] = r.startedAt ?? NaN;
    this.#firstSeen.values[slot] = r.firstSeen;
    this.#versionSince.values[slot] = r.versionSince;
    this.#lastSeen.values[slot] = r.lastSeen;
    this.#stateSince.values[slot] = r.stateSince;
    return slot;
  }

  delete(name: string): void {
    const slot = this.#slots.get(name);
    if (slot === undefined) return;
    this.#slots.delete(name);
    // Nothing a freed slot held is kept alive by it.
    this.#name[slot] = undefined;
    this.#id[slot] = this.#host[slot] = "";
    this.#profiles.release(this.#profile[slot]!);
    this.#profile[slot] = undefined;
    this.#history.delete(slot);
    this.#routes[slot] = this.#gateways[slot] = NO_NAMES;
    this.#flags.values[slot] = 0;
    this.#free.push(slot);
  }

  /** The record in a slot, made afresh. */
  record(slot: number): ServerRecord {
    const { cluster, domain, version, go, gitCommit } = this.#profile[slot]!;
    const startedAt = this.startedAt(slot);
    const firstSeen = this.#firstSeen.values[slot]!;
    return {
      name: this.#name[slot]!,
      id: this.#id[slot]!,
      cluster,
      domain,
      host: this.#host[slot]!,
      version,
      ...(go !== undefined ? { go } : {}),
      ...(gitCommit !== undefined ? { gitCommit } : {}),
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...((this.#flags.values[slot]! & LEAF) !== 0 ? { leaf: true as const } : {}),
      firstSeen,
      versionSince: this.#versionSince.values[slot]!,
      lastSeen: this.#lastSeen.values[slot]!,
      state: STATES[this.#state.values[slot]!]!,
      stateSince: this.#stateSince.values[slot]!,
      history: this.#history.get(slot) ?? [{ kind: VersionChangeKind.FirstSeen, version, at: firstSeen }],
    };
  }

  name(slot: number): string {
    return this.#name[slot]!;
  }

  id(slot: number): string {
    return this.#id[slot]!;
  }

  cluster(slot: number): string {
    return this.#profile[slot]!.cluster;
  }

  version(slot: number): string {
    return this.#profile[slot]!.version;
  }

  state(slot: number): ServerState {
    return STATES[this.#state.values[slot]!]!;
  }

  startedAt(slot: number): number | undefined {
    return known(this.#startedAt.values[slot]!);
  }

  lastSeen(slot: number): number {
    return this.#lastSeen.values[slot]!;
  }

  /** The one thing an advertisement that repeats the record changes: moved here, in place. */
  seen(slot: number, at: number): void {
    const v = this.#lastSeen.values;
    if (at > v[slot]!) v[slot] = at;
  }

  /**
   * What the observation says is what the slot says: only last-seen would move (isRepeat, on the
   * slot's facts, copied into one object kept for it: most advertisements are repeats, and none
   * of them makes an object).
   */
  repeats(slot: number, obs: ServerObservation): boolean {
    const f = this.#facts;
    const p = this.#profile[slot]!;
    f.id = this.#id[slot]!;
    f.host = this.#host[slot]!;
    f.version = p.version;
    f.cluster = p.cluster;
    f.domain = p.domain;
    f.go = p.go;
    f.gitCommit = p.gitCommit;
    f.startedAt = this.startedAt(slot);
    f.leaf = (this.#flags.values[slot]! & LEAF) !== 0 ? true : undefined;
    return isRepeat(f, obs);
  }

  /** A server's latest STATSZ: whom it lists, its clients, JetStream, when it arrived. */
  sight(slot: number, routes: SortedNames, gateways: SortedNames, connections: number, jetstream: boolean, at: number): void {
    this.#routes[slot] = routes;
    this.#gateways[slot] = gateways;
    this.#connections.values[slot] = connections;
    this.#flags.values[slot] = (this.#flags.values[slot]! & ~JETSTREAM) | (jetstream ? JETSTREAM : 0);
    this.#sightedAt.values[slot] = at;
  }

  /** When the latest STATSZ of this server arrived; undefined before the first. */
  sightedAt(slot: number): number | undefined {
    return known(this.#sightedAt.values[slot]!);
  }

  routes(slot: number): SortedNames {
    return this.#routes[slot]!;
  }

  gateways(slot: number): SortedNames {
    return this.#gateways[slot]!;
  }

  connections(slot: number): number {
    return this.#connections.values[slot]!;
  }

  reachFacts(slot: number): ReachFacts {
    return { name: this.#name[slot]!, state: this.state(slot), version: this.version(slot), lastSeen: this.lastSeen(slot), sightedAt: this.sightedAt(slot), routes: this.#routes[slot]! };
  }

  sighting(slot: number): Sighting | undefined {
    const at = this.sightedAt(slot);
    if (at === undefined) return undefined;
    return { routes: this.#routes[slot]!, gateways: this.#gateways[slot]!, connections: this.#connections.values[slot]!, jetstream: (this.#flags.values[slot]! & JETSTREAM) !== 0, at };
  }

  #change(c: VersionChange): VersionChange {
    const p = this.#strings;
    return { ...c, version: p.intern(c.version), ...(c.from !== undefined ? { from: p.intern(c.from) } : {}) };
  }

  #allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    const slot = this.#used++;
    if (slot >= this.#capacity) this.#grow(Math.max(64, Math.ceil(this.#capacity * 1.25)));
    return slot;
  }

  #grow(capacity: number): void {
    this.#capacity = capacity;
    for (const c of this.#columns) c.grow(capacity);
  }
}

/** A history that says only when the server was first seen, on the version it still runs: made again from the slot. */
function usualHistory(r: ServerRecord): boolean {
  if (r.history.length !== 1) return false;
  const h = r.history[0]!;
  return h.kind === VersionChangeKind.FirstSeen && h.version === r.version && h.at === r.firstSeen && !("from" in h) && Object.keys(h).length === 3;
}
