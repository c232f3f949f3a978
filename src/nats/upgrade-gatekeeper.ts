import type { NatsConnection } from "@nats-io/nats-core";
import type { Fleet } from "../core/fleet.js";
import { isoTime as iso } from "../core/iso-time.js";
import type { ServerObservation } from "../core/observation.js";
import { ServerState } from "../core/server-record.js";
import { defaultGatePolicy, judgeCluster, Verdict, type ClusterGate, type GatePolicy } from "../core/upgrade-gate.js";
import { compareVersions, parseVersion, type Version } from "../core/version.js";
import { RequestError } from "./report-request.js";
import { probeForGate, type ProbeAnswers } from "./upgrade-probe.js";
import type { UpgradeQuery } from "./upgrade-request.js";

/** The answer of `versions.upgrade`. */
export interface UpgradeAnswer {
  readonly generated_at: string;
  readonly filter: { readonly cluster?: string };
  /** The worst of the clusters' verdicts. */
  readonly verdict: Verdict;
  readonly clusters: readonly ClusterGate[];
  /** Servers asked that did not answer their health check within the time-out. */
  readonly not_answering: readonly string[];
  readonly asked: { readonly expected: number; readonly health_answers: number; readonly timeout_ms: number; readonly cached: boolean };
}

export interface GatekeeperOptions {
  readonly now: () => number;
  /** How long the servers are given to answer. */
  readonly timeoutMs: number;
  /** Answers are reused this long, so that a polling script cannot turn the endpoint into load. */
  readonly cacheMs: number;
  readonly policy?: GatePolicy;
  readonly unreachable: (now: number) => ReadonlyMap<string, number>;
  /** Fresh STATSZ answers go into the fleet like any other advertisement. */
  readonly observe: (obs: ServerObservation) => void;
}

/**
 * `versions.upgrade`: asks the servers when asked (bounded, cached briefly), and judges each
 * cluster with the pure gate; remembers since when each reason holds.
 */
export class UpgradeGatekeeper {
  readonly stats = { requests: 0, probes: 0 };
  readonly #since = new Map<string, number>();
  readonly #cache = new Map<string, { at: number; answers: Promise<ProbeAnswers> }>();

  constructor(
    private readonly sys: NatsConnection,
    private readonly fleet: Fleet,
    private readonly opts: GatekeeperOptions,
  ) {}

  async answer(query: UpgradeQuery): Promise<UpgradeAnswer> {
    this.stats.requests++;
    const records = [...this.fleet.records()];
    const clusters = query.cluster !== undefined ? [query.cluster] : [...new Set(records.map((r) => r.cluster))].sort();
    if (query.cluster !== undefined && !records.some((r) => r.cluster === query.cluster)) {
      throw new RequestError(`no server of cluster ${JSON.stringify(query.cluster)} is known`, 404);
    }
    // Servers in lame duck mode are on their way out: not waited for.
    const asked = records.filter((r) => clusters.includes(r.cluster) && r.state === ServerState.Running && this.fleet.isLive(r, this.opts.now()));
    const { answers, cached } = this.#probe(query.cluster, asked.length);
    const got = await answers;
    const now = this.opts.now();
    const unreachable = this.opts.unreachable(now);
    const target = this.#target(now);
    const gates = clusters.map((cluster) => this.#judge(cluster, got, unreachable, target, now));
    const notAnswering = asked.filter((r) => !got.health.has(r.name)).map((r) => r.name).sort();
    return {
      generated_at: iso(now),
      filter: query.cluster !== undefined ? { cluster: query.cluster } : {},
      verdict: gates.some((g) => g.verdict === Verdict.Blocked) ? Verdict.Blocked : gates.some((g) => g.verdict === Verdict.Wait) ? Verdict.Wait : Verdict.Ready,
      clusters: gates,
      not_answering: notAnswering,
      asked: { expected: asked.length, health_answers: got.health.size, timeout_ms: this.opts.timeoutMs, cached },
    };
  }

  #probe(cluster: string | undefined, expected: number): { answers: Promise<ProbeAnswers>; cached: boolean } {
    const key = cluster ?? "";
    const now = this.opts.now();
    const hit = this.#cache.get(key);
    if (hit && now - hit.at < this.opts.cacheMs) return { answers: hit.answers, cached: true };
    this.stats.probes++;
    const answers = probeForGate(this.sys, {
      ...(cluster !== undefined ? { cluster } : {}),
      expected,
      timeoutMs: this.opts.timeoutMs,
      onStatsz: this.opts.observe,
    });
    this.#cache.set(key, { at: now, answers });
    return { answers, cached: false };
  }

  /** The version being rolled out: the newest any live server runs. */
  #target(now: number): string | undefined {
    let best: Version | undefined;
    for (const r of this.fleet.records()) {
      const v = parseVersion(r.version);
      if (v && this.fleet.isLive(r, now) && (!best || compareVersions(v, best) > 0)) best = v;
    }
    return best?.text;
  }

  #judge(cluster: string, got: ProbeAnswers, unreachable: ReadonlyMap<string, number>, target: string | undefined, now: number): ClusterGate {
    const members = [...this.fleet.records()].filter((r) => r.cluster === cluster);
    const names = new Set(members.map((m) => m.name));
    const meta = got.metas.find((m) => names.has(m.leader) || m.replicas.some((p) => names.has(p.name))) ?? got.metas[0];
    const departure = this.fleet.departure(cluster);
    const seen = new Set<string>();
    const gate = judgeCluster(
      {
        cluster,
        members,
        unreachable,
        offline: new Set(members.filter((m) => !this.fleet.isLive(m, now)).map((m) => m.name)),
        health: got.health,
        jetstream: members.some((m) => this.fleet.sighting(m.name)?.jetstream === true),
        meta,
        clients: this.fleet.clients(cluster),
        ...(departure ? { departure } : {}),
        target,
        unknown: got.refused,
        now,
      },
      (key) => {
        const k = `${cluster}\n${key}`;
        seen.add(k);
        if (!this.#since.has(k)) this.#since.set(k, now);
        return this.#since.get(k)!;
      },
      this.opts.policy ?? defaultGatePolicy,
    );
    // A condition that cleared starts its clock afresh if it comes back.
    for (const k of this.#since.keys()) if (k.startsWith(`${cluster}\n`) && !seen.has(k)) this.#since.delete(k);
    return gate;
  }
}
