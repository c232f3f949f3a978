import { digestCluster, type ClusterDigest } from "./cluster-digest.js";
import { ObservationKind, type ServerObservation, type StatszFacts } from "./observation.js";
import { applyObservation, isRepeat, ServerState, type ServerRecord, type VersionChange } from "./server-record.js";
import { sameNames, sortedNames, type SortedNames } from "./sorted-names.js";
import { StringPool } from "./string-pool.js";

export interface FleetPolicy {
  /** A server not heard from for this long (and not shut down) counts as offline, not as a member. */
  readonly offlineAfterMs: number;
}

/** A second live process advertising a name that another live process already has. */
export interface DuplicateName {
  readonly name: string;
  readonly ids: readonly string[];
}

/** Whom a server was connected to, by its latest STATSZ, received at `at`. */
export interface Sighting {
  readonly routes: SortedNames;
  readonly gateways: SortedNames;
  readonly connections: number;
  readonly jetstream: boolean;
  readonly at: number;
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
  readonly #records = new Map<string, ServerRecord>();
  /** cluster -> names of its servers: a one-cluster report reads its cluster, not the whole fleet. */
  readonly #byCluster = new Map<string, Set<string>>();
  /** name -> id -> last seen, for processes that lost a name conflict. */
  readonly #duplicates = new Map<string, Map<string, number>>();
  /** name -> whom its latest STATSZ listed, and when it arrived; memory only, it changes all the time. */
  readonly #sightings = new Map<string, Sighting>();
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
  /** Cluster names, versions, domains and builds, held once however many records repeat them. */
  readonly #strings = new StringPool();

  constructor(readonly policy: FleetPolicy) {}

  /** Bumped at every change a report could show; lets a report cache know when it is stale. */
  get revision(): number {
    return this.#revision;
  }

  get size(): number {
    return this.#records.size;
  }

  get(name: string): ServerRecord | undefined {
    return this.#records.get(name);
  }

  records(): IterableIterator<ServerRecord> {
    return this.#records.values();
  }

  /** The servers of one cluster, in the order they were first seen in it. */
  clusterRecords(cluster: string): ServerRecord[] {
    // An array, not a generator: this runs for every server whenever digests are made.
    const out: ServerRecord[] = [];
    for (const name of this.#byCluster.get(cluster) ?? []) out.push(this.#records.get(name)!);
    return out;
  }

  /**
   * The record of this server as it is now: a digest holds records as of its making, whose
   * last-seen time may lag (see ClusterDigest).
   */
  current(r: ServerRecord): ServerRecord {
    return this.#records.get(r.name) ?? r;
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
   * A server back from beyond the offline window (as of now, or of when its cluster was last
   * digested, which a clock set back can put later) changes the digest without a material change.
   */
  #wasOffline(prev: ServerRecord, now: number): boolean {
    const digestedAt = this.#digests.get(prev.cluster)?.digest.at ?? -Infinity;
    return prev.lastSeen + this.policy.offlineAfterMs < Math.max(now, digestedAt);
  }

  #touch(cluster: string): void {
    this.#clusterRevisions.set(cluster, (this.#clusterRevisions.get(cluster) ?? 0) + 1);
  }

  #put(fresh: ServerRecord, changed: boolean): ServerRecord {
    const prev = this.#records.get(fresh.name);
    // The record already held (an observation that changes nothing, such as a late event of a past process) stays as it is.
    const record = fresh === prev ? fresh : this.#canonical(fresh);
    this.#records.set(record.name, record);
    if (changed || prev?.cluster !== record.cluster) this.#touch(record.cluster);
    if (prev?.cluster === record.cluster) return record;
    if (prev) this.#unindex(prev);
    let names = this.#byCluster.get(record.cluster);
    if (!names) this.#byCluster.set(record.cluster, (names = new Set()));
    names.add(record.name);
    return record;
  }

  /** The record with the pool's instances of its repeated strings (only new and changed records come here). */
  #canonical(r: ServerRecord): ServerRecord {
    const p = this.#strings;
    const change = (c: VersionChange): VersionChange => ({ ...c, version: p.intern(c.version), ...(c.from !== undefined ? { from: p.intern(c.from) } : {}) });
    return {
      ...r,
      cluster: p.intern(r.cluster),
      domain: p.intern(r.domain),
      version: p.intern(r.version),
      ...(r.go !== undefined ? { go: p.intern(r.go) } : {}),
      ...(r.gitCommit !== undefined ? { gitCommit: p.intern(r.gitCommit) } : {}),
      history: r.history.map(change),
    };
  }

  #unindex(r: ServerRecord): void {
    const names = this.#byCluster.get(r.cluster);
    names?.delete(r.name);
    this.#touch(r.cluster);
    if (names?.size === 0) {
      this.#byCluster.delete(r.cluster);
      this.#clusterRevisions.delete(r.cluster);
      this.#digests.delete(r.cluster);
    }
  }

  /** Puts a record in place as it is (loaded from KV, or merged after a concurrent write). */
  set(record: ServerRecord): void {
    this.#put(record, true);
    this.#revision++;
  }

  observe(obs: ServerObservation, now: number): { outcome: ObserveOutcome; record: ServerRecord } {
    const prev = this.#records.get(obs.name);
    if (prev && this.#isDuplicate(prev, obs, now)) {
      this.#sightDuplicate(obs, now);
      return { outcome: ObserveOutcome.Duplicate, record: prev };
    }
    if (prev && isRepeat(prev, obs)) return this.#refresh(prev, obs, now);
    const { record: fresh, material } = applyObservation(prev, obs, now);
    if (prev?.state === ServerState.Running && fresh.state !== ServerState.Running) {
      this.#departures.set(fresh.cluster, { server: fresh.name, at: now, clientsBefore: this.clients(fresh.cluster) });
    }
    const record = this.#put(fresh, material || (prev !== undefined && this.#wasOffline(prev, now)));
    if (obs.statsz) this.#sight(record.name, obs.statsz, now);
    if (prev && prev.id !== record.id) this.#duplicates.get(record.name)?.delete(record.id);
    if (material) this.#revision++;
    return { outcome: material ? ObserveOutcome.Material : ObserveOutcome.Seen, record };
  }

  /**
   * An advertisement that repeats what the record says moves only its last-seen, in place: a copy
   * of the record per advertisement was most of the garbage a steady fleet made (35,000 a second
   * at 100,000 servers), and each copy held its own boxes of every time in it.
   */
  #refresh(r: ServerRecord, obs: ServerObservation, now: number): { outcome: ObserveOutcome; record: ServerRecord } {
    if (this.#wasOffline(r, now)) this.#touch(r.cluster);
    (r as { lastSeen: number }).lastSeen = Math.max(r.lastSeen, now);
    if (obs.statsz) this.#sight(r.name, obs.statsz, now);
    return { outcome: ObserveOutcome.Seen, record: r };
  }

  /**
   * Drops servers not heard from for `forgetAfterMs` (decommissioned, or unnamed servers that got
   * a new id-as-name at a restart), so that neither memory nor the bucket grows forever.
   */
  forget(now: number, forgetAfterMs: number): ServerRecord[] {
    const gone: ServerRecord[] = [];
    for (const r of this.#records.values()) if (now - r.lastSeen > forgetAfterMs) gone.push(r);
    for (const r of gone) {
      this.#records.delete(r.name);
      this.#unindex(r);
      this.#duplicates.delete(r.name);
      this.#sightings.delete(r.name);
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
      this.#listedLeaves = new Set([...this.#leafLinks.values()].flatMap((v) => v.links.flatMap((l) => (l.name ? [l.name] : []))));
      this.#leafRevision++;
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
      if (now - at > this.policy.offlineAfterMs || this.#records.get(hub)?.leaf) continue;
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
    return this.#sightings.get(name);
  }

  /** Client connections of a cluster's running servers, by their latest STATSZ. */
  clients(cluster: string): number {
    let n = 0;
    for (const r of this.#records.values()) {
      if (r.cluster === cluster && r.state === ServerState.Running) n += this.#sightings.get(r.name)?.connections ?? 0;
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
    this.#probes.set(cluster, prev ? { latest: now, previous: prev.latest } : { latest: now });
    this.#revision++;
  }

  #sight(name: string, statsz: StatszFacts, now: number): void {
    const prev = this.#sightings.get(name);
    // Route names are mostly known servers: their record's name string is held once, not again per peer.
    const known = (n: string) => this.#records.get(n)?.name ?? n;
    let routes = sortedNames(statsz.routes, known);
    let gateways = sortedNames(statsz.gateways);
    const sameRoutes = prev !== undefined && sameNames(prev.routes, routes);
    const sameGateways = prev !== undefined && sameNames(prev.gateways, gateways);
    // A repeat keeps the lists it had: steady advertisements then leave nothing new behind.
    if (sameRoutes) routes = prev.routes;
    if (sameGateways) gateways = prev.gateways;
    if (!sameRoutes || !sameGateways) {
      this.#revision++;
      // What a cluster's servers point to is part of its digest (see ClusterDigest.pointers).
      const cluster = this.#records.get(name)?.cluster;
      if (cluster !== undefined) this.#touch(cluster);
    }
    this.#sightings.set(name, { routes, gateways, connections: statsz.connections, jetstream: statsz.jetstream, at: now });
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
      const current = this.#records.get(name);
      const live = [...ids].filter(([, seen]) => now - seen <= this.policy.offlineAfterMs).map(([id]) => id);
      if (current && live.length > 0) out.push({ name, ids: [current.id, ...live] });
    }
    return out;
  }

  /**
   * An advertisement from another process under a live server's name, started before the one we
   * track, is a second server with the same name (a restart always starts later).
   */
  #isDuplicate(prev: ServerRecord, obs: ServerObservation, now: number): boolean {
    if (obs.id === prev.id || prev.state !== ServerState.Running || !this.isLive(prev, now)) return false;
    if (obs.kind === ObservationKind.LameDuck || obs.kind === ObservationKind.Shutdown) {
      this.#duplicates.get(obs.name)?.delete(obs.id);
      return false;
    }
    return (
      this.#duplicates.get(obs.name)?.has(obs.id) === true ||
      (obs.startedAt !== undefined && prev.startedAt !== undefined && obs.startedAt < prev.startedAt)
    );
  }

  #sightDuplicate(obs: ServerObservation, now: number): void {
    let ids = this.#duplicates.get(obs.name);
    if (!ids) this.#duplicates.set(obs.name, (ids = new Map()));
    if (!ids.has(obs.id)) this.#revision++;
    ids.set(obs.id, now);
  }
}
