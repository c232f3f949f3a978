import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import { ObservationKind } from "../../src/core/observation.js";
import { judgeScopes } from "../../src/core/scope-verdict.js";
import { buildReport } from "../../src/core/version-report.js";
import { defaultMismatchPolicy } from "../../src/core/mismatch-policy.js";
import { observation } from "../helpers/observations.js";
import { assessVisibility } from "../../src/core/visibility.js";
import { clustersToProbe, unreachableServers } from "../../src/core/reachability.js";

/**
 * Digests are a cache: a fleet asked for reports all along (its digests made at many moments, most
 * of them reused) must answer exactly like a fleet given the same history and asked only now.
 */

const MIN = 60_000;
const OFFLINE = 5 * MIN;
const versions = ["2.9.10", "2.10.27", "2.10.28", "2.11.0", "2.15.1"];
const clusters = ["a", "b", "c", "d"];

/** A small deterministic generator, so that a failure can be replayed from its seed. */
function random(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s % n;
  };
}

type Step = (f: Fleet, now: number) => void;

function steps(seed: number, count: number): { step: Step; at: number }[] {
  const pick = random(seed);
  const out: { step: Step; at: number }[] = [];
  let at = 1_000_000;
  const names = Array.from({ length: 14 }, (_, i) => `s${i}`);
  const id = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    // Mostly small steps, sometimes past the offline window.
    at += pick(10) === 0 ? OFFLINE + pick(MIN) : pick(40_000);
    const name = names[pick(names.length)]!;
    const cluster = clusters[pick(name === "s0" ? 4 : 2) + (name < "s5" ? 0 : 2)]!;
    const version = versions[pick(versions.length)]!;
    const kind = pick(12);
    const startedAt = at - pick(3) * MIN;
    const routes = names.filter(() => pick(3) === 0);
    const statsz = { routes, gateways: pick(4) === 0 ? ["z"] : [], connections: pick(50), jetstream: true };
    let step: Step;
    if (kind < 6) step = (f, now) => void f.observe(observation(name, f.get(name)?.version ?? version, { id: `${name}-${id.get(name) ?? 0}`, cluster: f.get(name)?.cluster ?? cluster, startedAt: f.get(name)?.startedAt ?? startedAt, statsz }), now);
    else if (kind < 8) {
      id.set(name, (id.get(name) ?? 0) + 1);
      const n = id.get(name)!;
      const domain = pick(5) === 0 ? "edge" : "";
      const leaf = pick(4) === 0 ? { leaf: true } : {};
      step = (f, now) => void f.observe(observation(name, version, { id: `${name}-${n}`, cluster, startedAt, domain, ...leaf, statsz }), now);
    } else if (kind === 8) step = (f, now) => void f.observe(observation(name, f.get(name)?.version ?? version, { kind: ObservationKind.LameDuck, id: `${name}-${id.get(name) ?? 0}`, cluster }), now);
    else if (kind === 9) step = (f, now) => void f.observe(observation(name, f.get(name)?.version ?? version, { kind: ObservationKind.Shutdown, id: `${name}-${id.get(name) ?? 0}`, cluster }), now);
    else if (kind === 10) step = pick(2) === 0 ? (f, now) => void f.forget(now, OFFLINE * 2) : (f, now) => f.noteProbe(cluster, now - 2_000);
    else {
      const leaves = names.filter(() => pick(4) === 0).map((n) => ({ name: n, account: "SYS" }));
      step = (f, now) => f.noteLeafLinks("s1", leaves, now);
    }
    out.push({ step, at });
  }
  return out;
}

const options = { sinceOf: (scope: string) => (scope.length % 3 === 0 ? 500_000 : undefined) };

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
  test(`a fleet reporting all along answers like one asked only now (seed ${seed})`, (t) => {
    const asked = new Fleet({ offlineAfterMs: OFFLINE });
    const history = steps(seed, 400);
    history.forEach(({ step, at }, i) => {
      step(asked, at);
      // Reports at, and a little after, most steps: digests get made, reused and outlived.
      if (i % 3 !== 0) {
        const later = at + (i % 5) * 20_000;
        const fresh = new Fleet({ offlineAfterMs: OFFLINE });
        for (const h of history.slice(0, i + 1)) h.step(fresh, h.at);
        for (const query of [{}, { cluster: clusters[i % clusters.length]! }, { page: 2, pageSize: 3 }]) {
          t.deepEqual(buildReport(asked, later, query, options), buildReport(fresh, later, query, options), `step ${i}, query ${JSON.stringify(query)}`);
        }
        // One round lasts several steps: what was silent in it is looked at again, not every server.
        const roundAt = Math.floor(later / 200_000) * 200_000;
        const ping = { id: String(roundAt), at: roundAt, answered: new Set(["s1", "s2", "s5", "s9", `s${roundAt % 14}`]) };
        t.deepEqual(
          assessVisibility(asked, ping, unreachableServers(asked, later), later),
          assessVisibility(fresh, ping, unreachableServers(fresh, later), later),
        );
        t.deepEqual(clustersToProbe(asked, later), clustersToProbe(fresh, later));
        t.deepEqual(
          judgeScopes(asked, later, defaultMismatchPolicy, options.sinceOf).map((v) => v.view),
          judgeScopes(fresh, later, defaultMismatchPolicy, options.sinceOf).map((v) => v.view),
        );
      }
    });
  });
}
