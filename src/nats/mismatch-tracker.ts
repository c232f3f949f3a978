import type { NatsConnection } from "@nats-io/nats-core";
import { headers } from "@nats-io/nats-core";
import type { KV } from "@nats-io/kv";
import type { Logger } from "pino";
import type { Fleet } from "../core/fleet.js";
import { buildMismatchEvent } from "../core/mismatch-event.js";
import type { MismatchPolicy } from "../core/mismatch-policy.js";
import { decodeMismatchRecord, encodeMismatchRecord, type MismatchRecord } from "../core/mismatch-record.js";
import { MismatchState } from "../core/mismatch-state.js";
import { nextTransition } from "../core/mismatch-transition.js";
import { analyzeScope, analyzeScopes, scopeView, type ScopeAnalysis } from "../core/scope-analysis.js";
import { decodeKeyToken, encodeKeyToken } from "../core/server-key.js";
import { scanLatest } from "./kv-scan.js";

export const MISMATCH_SUBJECT = "versions.mismatch";
const KEY_PREFIX = "mismatch.";
const CLUSTER_PREFIX = "cluster:";

/** A cluster name as one subject token: characters a subject cannot carry become `_`. */
export function subjectToken(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_") || "_";
}

/** System events on versions.mismatch, a cluster's on versions.mismatch.<cluster>. */
export function mismatchSubject(a: { cluster?: string }): string {
  return a.cluster === undefined ? MISMATCH_SUBJECT : `${MISMATCH_SUBJECT}.${subjectToken(a.cluster)}`;
}

export interface TrackerOptions {
  readonly bucket: string;
  readonly policy: MismatchPolicy;
  readonly offlineAfterMs: number;
  /** Time-driven transitions (stalled, stale, servers going offline) are checked this often. */
  readonly evaluateIntervalMs: number;
  /** After start, wait this long for every server's first answer before judging anything. */
  readonly warmupMs: number;
  readonly now: () => number;
  readonly log: Logger;
}

export interface TrackerStats {
  evaluations: number;
  published: Record<string, number>;
  conflicts: number;
  deferred: number;
}

interface Held {
  /** Undefined when the stored value does not decode: the next transition overwrites it. */
  record: MismatchRecord | undefined;
  revision: number;
}

/**
 * Turns the fleet's state into mismatch transitions and publishes each exactly once, even with
 * several instances: the transition is first written to the scope's KV record with compare-and-set,
 * and only the instance whose write succeeded publishes the event.
 */
export class MismatchTracker {
  readonly stats: TrackerStats = { evaluations: 0, published: {}, conflicts: 0, deferred: 0 };
  readonly #held = new Map<string, Held>();
  #timer: NodeJS.Timeout | undefined;
  #warm: NodeJS.Timeout | undefined;
  #ready = false;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #revision = 0;

  /** Bumped whenever a held record changes; part of the report cache's key. */
  get revision(): number {
    return this.#revision;
  }

  constructor(
    private readonly kv: KV,
    private readonly nc: NatsConnection,
    private readonly fleet: Fleet,
    private readonly opts: TrackerOptions,
  ) {}

  /** Loads the durable records, then starts judging once the warm-up has passed. */
  async start(): Promise<void> {
    await scanLatest(this.nc, this.opts.bucket, KEY_PREFIX, (key, revision, data) => {
      const record = decodeMismatchRecord(data);
      if (record) this.#held.set(record.scope, { record, revision });
      else {
        this.opts.log.warn({ key, revision }, "skipping a mismatch record that does not decode");
        const scope = decodeKeyToken(key.slice(KEY_PREFIX.length));
        if (scope !== undefined) this.#held.set(scope, { record: undefined, revision });
      }
    });
    this.#warm = setTimeout(() => {
      this.#ready = true;
      this.requestEvaluation();
    }, this.opts.warmupMs);
    this.#timer = setInterval(() => this.requestEvaluation(), this.opts.evaluateIntervalMs);
    this.#timer.unref();
  }

  /** The durable start of a scope's current mismatch, for reports. */
  readonly sinceOf = (scope: string): number | undefined => {
    const r = this.#held.get(scope)?.record;
    return r && r.state !== MismatchState.Consistent ? r.since : undefined;
  };

  record(scope: string): MismatchRecord | undefined {
    return this.#held.get(scope)?.record;
  }

  /** Asks for an evaluation as soon as possible; bursts of requests coalesce into one. */
  requestEvaluation(): void {
    if (!this.#ready || this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.evaluate();
        } catch (err) {
          this.opts.log.warn({ err: (err as Error).message }, "mismatch evaluation failed; retrying at the next change or tick");
        }
      } while (this.#again && !this.#stopped);
    })().finally(() => (this.#running = undefined));
  }

  /** One pass over every scope; exported for tests that move the clock. */
  async evaluate(): Promise<void> {
    this.stats.evaluations++;
    const now = this.opts.now();
    const scopes = analyzeScopes(this.fleet, now, this.opts.policy, this.sinceOf);
    // Seeing no servers at all means this instance is cut off, not that every mismatch is over.
    if (scopes[0]!.members.length === 0) return;
    for (const a of scopes) await this.#settle(a, now);
    // A cluster with a recorded mismatch and no members left (decommissioned, renamed) is resolved.
    const seen = new Set(scopes.map((a) => a.scope));
    for (const [scope, held] of this.#held) {
      if (seen.has(scope) || !scope.startsWith(CLUSTER_PREFIX) || !held.record || held.record.state === MismatchState.Consistent) continue;
      await this.#settle(analyzeScope(scope, [], now, this.opts.policy, this.sinceOf, scope.slice(CLUSTER_PREFIX.length)), now);
    }
  }

  async #settle(a: ScopeAnalysis, now: number, attempt = 1): Promise<void> {
    const held = this.#held.get(a.scope);
    const t = nextTransition(held?.record, scopeView(a), now);
    if (!t) return;
    if (held?.record && !this.#knowsAsMuch(held.record, now)) {
      // Another instance decided with news this one has not heard yet; wait for it.
      this.stats.deferred++;
      return;
    }
    const key = KEY_PREFIX + encodeKeyToken(a.scope);
    const data = encodeMismatchRecord(t.record);
    let revision: number;
    try {
      revision = held ? await this.kv.update(key, data, held.revision) : await this.kv.create(key, data);
    } catch (err) {
      const stored = await this.kv.get(key).catch(() => null);
      if (stored?.operation === "PUT" && stored.string() === data) {
        // The write landed although its acknowledgement did not (a stream leader changing): ours.
        revision = stored.revision;
      } else {
        this.stats.conflicts++;
        this.#revision++;
        if (stored?.operation === "PUT") this.#held.set(a.scope, { record: decodeMismatchRecord(stored.value), revision: stored.revision });
        // The key is gone (purged by an operator): the next attempt creates it.
        else this.#held.delete(a.scope);
        if (attempt < 3) return this.#settle(a, now, attempt + 1);
        throw err;
      }
    }
    this.#held.set(a.scope, { record: t.record, revision });
    this.#revision++;
    if (t.event) this.#publish(buildMismatchEvent(t.event, a, t.record, held?.record, now), a);
  }

  /**
   * Whether this instance has heard, since the stored decision, from every server that decision
   * named: otherwise its view may be older than the record's and must not overrule it.
   */
  #knowsAsMuch(stored: MismatchRecord, now: number): boolean {
    if (now - stored.updatedAt > this.opts.offlineAfterMs) return true;
    return stored.outliers.every((name) => (this.fleet.get(name)?.lastSeen ?? Number.NEGATIVE_INFINITY) >= stored.updatedAt);
  }

  #publish(event: ReturnType<typeof buildMismatchEvent>, a: ScopeAnalysis): void {
    const h = headers();
    h.set("Nats-Msg-Id", event.id);
    this.nc.publish(mismatchSubject(a), JSON.stringify(event), { headers: h });
    this.stats.published[event.type] = (this.stats.published[event.type] ?? 0) + 1;
    this.opts.log.info({ event: { id: event.id, type: event.type, scope: event.scope, state: event.state } }, "mismatch event published");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#warm) clearTimeout(this.#warm);
    await this.#running;
  }
}
