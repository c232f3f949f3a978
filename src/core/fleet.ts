import { digestCluster, type ClusterDigest } from "./cluster-digest.js";
import { ObservationKind, type ServerObservation, type StatszFacts } from "./observation.js";
import { applyObservation, ServerState, type ServerRecord } from "./server-record.js";
import { ServerTable, type ReachFacts, type Sighting } from "./server-table.js";
import { sameNames, sortedNames, SortedNamesPool } from "./sorted-names.js";
import { StringPool } from "./string-pool.js";

export type { Sighting } from "./server-table.js";

export interface FleetPolicy {
  /** A server not heard from for this long (and not shut down) counts as offline, not as a member. */
  readonly offlineAfterMs: number;
}

/** A second live process advertising a name that another live process already has. */
export interface DuplicateName {
  readonly name: string;
  readonly ids: readonly string[];
}

/** The last time a server of a cluster went down (lame duck or shutdown), and the cluster's clients just before. */
export interface Departure {
  readonly server: string;
  readonly at: number;
  readonly clientsBefore: number;
}

/**
 * One leafnode connection as a hub server lists it ($SYS.REQ.SERVER.PING.LEAFZ, the hub's side):
 * the leaf server's name (nats-server 2.10+ sends it) and the hub account it is bound to.
 */
export interface LeafLink {
  readonly name?: string;
  readonly account: string;
}

/** A leaf a hub lists: its name, the hub server and account it connects to. */
export interface ListedLeaf {
  readonly name: string;
  readonly hub: string;
  readonly accounts: readonly string[];
}

export const ObserveOutcome = {
  /** Something worth persisting changed. */
  Material: "material",
  /** Only last-seen moved. */
  Seen: "seen",
  /** Another live process with the same name: reported, not stored over the record. */
  Duplicate: "duplicate",
} as const;
export type ObserveOutcome = (typeof ObserveOutcome)[keyof typeof ObserveOutcome];

/**
 * Every server the monitor knows, by name, in memory: the source every report is answered from.
 * Pure: times are passed in, nothing is read or written outside.
 */
export class Fleet {
  /** Every server's record and latest STATSZ, by column (see ServerTable). */
  readonly #table = new ServerTable();
  /** Lists of routes and gateways, and the names of gateways, held once however many servers list them. */
  readonly #lists = new SortedNamesPool();
  readonly #names = new StringPool();
  /** cluster -> names of its servers: a one-cluster report reads its cluster, not the whole fleet. */
  // Slots in an array (see ServerTable), not names in a Set: a third of the memory; taking one out
  // (a server forgotten, or moved to another cluster) is rare.
  readonly #byCluster = new Map<string, number[]>();
  /** name -> id -> last seen, for processes that lost a name conflict. */
  readonly #duplicates = new Map<string, Map<string, number>>();
  /** cluster -> when the monitor last asked that cluster's servers for a fresh STATSZ. */
  readonly #probes = new Map<string, { latest: number; previous?: number }>();
  readonly #departures = new Map<string, Departure>();
  /** hub server -> its leafnode connections, by its latest LEAFZ answer. */
  readonly #leafLinks = new Map<string, { readonly at: number; readonly links: readonly LeafLink[] }>();
  /** Names some hub lists as a leaf, kept in step with #leafLinks. */
  #listedLeaves = new Set<string>();
  #revision = 0;
  /** cluster -> bumped whenever a digest of it could change (see ClusterDigest). */
  readonly #clusterRevisions = new Map<string, number>();
  /** Bumped when the set of leaves some hub lists changes: that can make any server a leaf. */
  #leafRevision = 0;
  readonly #digests = new Map<string, { digest: ClusterDigest; revision: number; leafRevision: number }>();

  constructor(readonly policy: FleetPolicy) {}

  /** Bumped at every change a report could show; lets a report cache know when it is stale. */
  get revision(): number {
    return this.#revision;
  }

  get size(): number {
    return this.#table.size;
  }

  /** A server's record, made afresh: it is the caller's, and does not change with the fleet. */
  get(name: string): ServerRecord | undefined {
    return this.#read(name, (t, slot) => t.record(slot));
  }

  /** One thing the table holds of a server, read without making its record; undefined for one the fleet does not hold. */
  #read<T>(name: string, read: (table: ServerTable, slot: number) => T): T | undefined {
    const slot = this.#table.slot(name);
    return slot === undefined ? undefined : read(this.#table, slot);
  }

  *records(): IterableIterator<ServerRecord> {
    for (const slot of this.#table.slots()) yield this.#table.record(slot);
  }

  /** The servers of one cluster, in the order they were first seen in it. */
  clusterRecords(cluster: string): ServerRecord[] {
    // An array, not a generator: this runs for every server whenever digests are made.
    const out: ServerRecord[] = [];
    for (const slot of this.#byCluster.get(cluster) ?? []) out.push(this.#table.record(slot));
    return out;
  }

  /** The record of this server as it is now (a record kept a while, such as a summary's outlier, may lag). */
  current(r: ServerRecord): ServerRecord {
    return this.get(r.name) ?? r;
  }

  /** The id of a server's current process; undefined for one the fleet does not hold. */
  processId(name: string): string | undefined {
    return this.#read(name, (t, slot) => t.id(slot));
  }

  /** When a server was last heard from; undefined for one the fleet does not hold. */
  lastSeen(name: string): number | undefined {
    return this.#read(name, (t, slot) => t.lastSeen(slot));
  }

  /** Every cluster that has a server, in no particular order. */
  clusterNames(): IterableIterator<string> {
    return this.#byCluster.keys();
  }

  /**
   * A cluster's digest as of `now`, made again only when one of its servers changed or passed the
   * offline window since: at 100,000 servers a report reads 1,000 digests, not every server.
   */
  digest(cluster: string, now: number): ClusterDigest | undefined {
    const revision = this.#clusterRevisions.get(cluster);
    if (revision === undefined) return undefined;
    const held = this.#digests.get(cluster);
    if (held && held.revision === revision && held.leafRevision === this.#leafRevision && held.digest.at <= now && now <= held.digest.until) {
      return held.digest;
    }
    const digest = digestCluster(this, cluster, now);
    this.#digests.set(cluster, { digest, revision, leafRevision: this.#leafRevision });
    return digest;
  }

  /**
   * Lets go of the digests held. A thread that only now and then reads the whole fleet (the main
   * thread, when a report worker renders) would otherwise keep a digest of every cluster from
   * that read on: about 5 KB a cluster, 170 MB for 33,334 clusters.
   */
  releaseDigests(): void {
    this.#digests.clear();
  }

  /**
   * A server back from beyond the offline window (as of now, or of when its cluster was last
   * digested, which a clock set back can put later) changes the digest without a material change.
   */
  #wasOffline(cluster: string, lastSeen: number, now: number): boolean {
    const digestedAt = this.#digests.get(cluster)?.digest.at ?? -Infinity;
    return lastSeen + this.policy.offlineAfterMs < Math.max(now, digestedAt);
  }

  #touch(cluster: string): void {
    this.#clusterRevisions.set(cluster, (this.#clusterRevisions.get(cluster) ?? 0) + 1);
  }

  #put(record: ServerRecord, changed: boolean): void {
    const held = this.#table.slot(record.name);
    const prevCluster = held === undefined ? undefined : this.#table.cluster(held);
    const slot = this.#table.put(record);
    if (changed || prevCluster !== record.cluster) this.#touch(record.cluster);
    if (prevCluster === record.cluster) return;
    if (prevCluster !== undefined) this.#unindex(slot, prevCluster);
    // The table's instance of the cluster's name, held once.
    const cluster = this.#table.cluster(slot);
    let slots = this.#byCluster.get(cluster);
    if (!slots) this.#byCluster.set(cluster, (slots = []));
    slots.push(slot);
  }

  #unindex(slot: number, cluster: string): void {
    const slots = this.#byCluster.get(cluster);
    const at = slots?.indexOf(slot) ?? -1;
    if (at >= 0) slots!.splice(at, 1);
    this.#touch(cluster);
    if (slots?.length === 0) {
      this.#byCluster.delete(cluster);
      this.#clusterRevisions.delete(cluster);
      this.#digests.delete(cluster);
    }
  }

  /** Puts a record in place as it is (loaded from KV, or merged after a concurrent write). */
  set(record: ServerRecord): void {
    this.#put(record, true);
    this.#revision++;
  }

  /** What an observation did; `record` is the server's record after it, made when first read. */
  observe(obs: ServerObservation, now: number): { readonly outcome: ObserveOutcome; readonly record: ServerRecord } {
    const slot = this.#table.slot(obs.name);
    if (slot !== undefined && this.#isDuplicate(slot, obs, now)) {
      this.#sightDuplicate(obs, now);
      return this.#outcome(ObserveOutcome.Duplicate, slot);
    }
    if (slot !== undefined && this.#table.repeats(slot, obs)) return this.#refresh(slot, obs, now);
    const prev = slot === undefined ? undefined : this.#table.record(slot);
    const { record, material } = applyObservation(prev, obs, now);
    if (prev?.state === ServerState.Running && record.state !== ServerState.Running) {
      this.#departures.set(record.cluster, { server: record.name, at: now, clientsBefore: this.clients(record.cluster) });
    }
    this.#put(record, material || (prev !== undefined && this.#wasOffline(prev.cluster, prev.lastSeen, now)));
    if (obs.statsz) this.#sight(record.name, obs.statsz, now);
    if (prev && prev.id !== record.id) this.#duplicates.get(record.name)?.delete(record.id);
    if (material) this.#revision++;
    return { outcome: material ? ObserveOutcome.Material : ObserveOutcome.Seen, record };
  }

  /** An outcome whose record is made only if the caller reads it: most advertisements need none. */
  #outcome(outcome: ObserveOutcome, slot: number): { readonly outcome: ObserveOutcome; readonly record: ServerRecord } {
    const table = this.#table;
    let record: ServerRecord | undefined;
    return {
      outcome,
      get record() {
        return (record ??= table.record(slot));
      },
    };
  }

  /**
   * An advertisement that repeats what the record says moves only its last-seen, in place: no
   * record is made for it, since a steady fleet of 100,000 servers sends 10,000 a second.
   */
  #refresh(slot: number, obs: ServerObservation, now: number): { readonly outcome: ObserveOutcome; readonly record: ServerRecord } {
    const t = this.#table;
    if (this.#wasOffline(t.cluster(slot), t.lastSeen(slot), now)) this.#touch(t.cluster(slot));
    t.seen(slot, now);
    if (obs.statsz) this.#sight(t.name(slot), obs.statsz, now);
    return this.#outcome(ObserveOutcome.Seen, slot);
  }

  /**
   * Drops servers not heard from for `forgetAfterMs` (decommissioned, or unnamed servers that got
   * a new id-as-name at a restart), so that neither memory nor the bucket grows forever.
   */
  forget(now: number, forgetAfterMs: number): ServerRecord[] {
    const gone: ServerRecord[] = [];
    const slots: number[] = [];
    for (const slot of this.#table.slots()) if (now - this.#table.lastSeen(slot) > forgetAfterMs) slots.push(slot);
    for (const slot of slots) {
      const r = this.#table.record(slot);
      gone.push(r);
      this.#unindex(slot, r.cluster);
      this.#table.delete(r.name);
      this.#duplicates.delete(r.name);
    }
    if (gone.length > 0) this.#revision++;
    return gone;
  }

  /** A hub server's leafnode connections, from its answer to a LEAFZ ping. */
  noteLeafLinks(server: string, links: readonly LeafLink[], now: number): void {
    const prev = this.#leafLinks.get(server)?.links;
    const key = (l: readonly LeafLink[]) => l.map((x) => `${x.name ?? ""}\u0000${x.account}`).sort().join("\u0001");
    if (!prev || key(prev) !== key(links)) {
      this.#revision++;
      this.#leafLinks.set(server, { at: now, links });
      const listed = new Set([...this.#leafLinks.values()].flatMap((v) => v.links.flatMap((l) => (l.name ? [l.name] : []))));
      // Every digest reads which servers are leaves: remade only when that set changed. A hub's
      // first answer, with no leaf or the ones already listed, remade all 1,000 at 100,000 servers.
      if (!sameSet(listed, this.#listedLeaves)) this.#leafRevision++;
      this.#listedLeaves = listed;
    } else {
      this.#leafLinks.set(server, { at: now, links: prev });
    }
  }

  /**
   * Leaves that live hub servers list, by name (merged over hubs and accounts), plus how many
   * connections came without a name (hubs before 2.10 do not send one).
   */
  listedLeaves(now: number): { named: ListedLeaf[]; unnamed: number } {
    const byName = new Map<string, { hub: string; accounts: Set<string> }>();
    let unnamed = 0;
    for (const [hub, { at, links }] of this.#leafLinks) {
      if (now - at > this.policy.offlineAfterMs || this.get(hub)?.leaf) continue;
      for (const l of links) {
        if (!l.name) {
          unnamed++;
          continue;
        }
        const entry = byName.get(l.name) ?? { hub, accounts: new Set<string>() };
        entry.accounts.add(l.account);
        byName.set(l.name, entry);
      }
    }
    const named = [...byName].map(([name, e]) => ({ name, hub: e.hub, accounts: [...e.accounts].sort() }));
    return { named: named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), unnamed };
  }

  /** A leaf node: by its own VARZ (leafnode remotes), or because a hub lists a connection from it. */
  isLeaf(r: ServerRecord): boolean {
    return r.leaf === true || this.#listedLeaves.has(r.name);
  }

  /** What a server's latest STATSZ said about its routes and gateways. */
  sighting(name: string): Sighting | undefined {
    return this.#read(name, (t, slot) => t.sighting(slot));
  }

  /** What the reachability check reads of a server, without making its record. */
  reachFacts(name: string): ReachFacts | undefined {
    return this.#read(name, (t, slot) => t.reachFacts(slot));
  }

  /** When a server's latest STATSZ arrived (see sighting), without making the sighting. */
  sightedAt(name: string): number | undefined {
    return this.#read(name, (t, slot) => t.sightedAt(slot));
  }

  /** Client connections of a cluster's running servers, by their latest STATSZ. */
  clients(cluster: string): number {
    let n = 0;
    for (const slot of this.#byCluster.get(cluster) ?? []) {
      if (this.#table.state(slot) === ServerState.Running) n += this.#table.connections(slot);
    }
    return n;
  }

  /** The last server of a cluster that went down, and the cluster's clients just before. */
  departure(cluster: string): Departure | undefined {
    return this.#departures.get(cluster);
  }

  /** When the monitor last asked a cluster's servers for a fresh STATSZ (to see who is still routed). */
  probes(cluster: string): { readonly latest: number; readonly previous?: number } | undefined {
    return this.#probes.get(cluster);
  }

  /** Clusters the monitor has probed. */
  probedClusters(): IterableIterator<string> {
    return this.#probes.keys();
  }

  noteProbe(cluster: string, now: number): void {
    const prev = this.#probes.get(cluster);
    // The revision stays: what the probe finds shows only once it settles (see ProbeSettling).
    this.#probes.set(cluster, prev ? { latest: now, previous: prev.latest } : { latest: now });
  }

  #sight(name: string, statsz: StatszFacts, now: number): void {
    const t = this.#table;
    const slot = t.slot(name)!;
    const sighted = t.sightedAt(slot) !== undefined;
    // Route names are mostly known servers: their name string is held once, not again per peer.
    const known = (n: string) => {
      const s = t.slot(n);
      return s === undefined ? this.#names.intern(n) : t.name(s);
    };
    let routes = sortedNames(statsz.routes, known);
    let gateways = sortedNames(statsz.gateways, (n) => this.#names.intern(n));
    const sameRoutes = sighted && sameNames(t.routes(slot), routes);
    const sameGateways = sighted && sameNames(t.gateways(slot), gateways);
    // A repeat keeps the lists it had: steady advertisements then leave nothing new behind. A
    // list that changed is shared with other servers that list the same names.
    routes = sameRoutes ? t.routes(slot) : this.#lists.share(routes);
    gateways = sameGateways ? t.gateways(slot) : this.#lists.share(gateways);
    if (!sameRoutes || !sameGateways) {
      this.#revision++;
      // What a cluster's servers point to is part of its digest (see ClusterDigest.pointers).
      this.#touch(t.cluster(slot));
    }
    t.sight(slot, routes, gateways, statsz.connections, statsz.jetstream, now);
  }

  /**
   * A member of its cluster: heard from within the offline window. A server that just shut down
   * stays a member for that window, because in a rolling upgrade it is about to come back; only
   * after it does (or the window passes) does the cluster's version picture change.
   */
  isLive(r: ServerRecord, now: number): boolean {
    return now - r.lastSeen <= this.policy.offlineAfterMs;
  }

  duplicates(now: number): DuplicateName[] {
    const out: DuplicateName[] = [];
    for (const [name, ids] of this.#duplicates) {
      const current = this.get(name);
      const live = [...ids].filter(([, seen]) => now - seen <= this.policy.offlineAfterMs).map(([id]) => id);
      if (current && live.length > 0) out.push({ name, ids: [current.id, ...live] });
    }
    return out;
  }

  /**
   * An advertisement from another process under a live server's name, started before the one we
   * track, is a second server with the same name (a restart always starts later).
   */
  #isDuplicate(slot: number, obs: ServerObservation, now: number): boolean {
    const t = this.#table;
    if (obs.id === t.id(slot) || t.state(slot) !== ServerState.Running || now - t.lastSeen(slot) > this.policy.offlineAfterMs) return false;
    if (obs.kind === ObservationKind.LameDuck || obs.kind === ObservationKind.Shutdown) {
      this.#duplicates.get(obs.name)?.delete(obs.id);
      return false;
    }
    return (
      this.#duplicates.get(obs.name)?.has(obs.id) === true ||
      (obs.startedAt !== undefined && (t.startedAt(slot) ?? -Infinity) > obs.startedAt)
    );
  }

  #sightDuplicate(obs: ServerObservation, now: number): void {
    let ids = this.#duplicates.get(obs.name);
    if (!ids) this.#duplicates.set(obs.name, (ids = new Map()));
    if (!ids.has(obs.id)) this.#revision++;
    ids.set(obs.id, now);
  }
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
