import test from "ava";
import { ObservationKind } from "../../src/core/observation.js";
import { applyObservation, MAX_HISTORY, type ServerRecord } from "../../src/core/server-record.js";
import { ServerTable } from "../../src/core/server-table.js";
import { observation } from "../helpers/observations.js";

/** Records of many shapes: optional fields present and absent, long histories, leaves, every state. */
function records(): ServerRecord[] {
  const out: ServerRecord[] = [];
  const versions = ["2.9.10", "2.10.27", "2.11.0", "2.10.27+build.7", "2.12.0-RC.1"];
  for (let i = 0; i < 40; i++) {
    let r = applyObservation(undefined, observation(`s${i}`, versions[i % 5]!, { cluster: `c${i % 3}`, ...(i % 4 === 0 ? { kind: ObservationKind.Varz, go: "go1.22.8", gitCommit: "abc", leaf: true } : {}) }), 1_000 + i).record;
    // Some change version again and again (past the history cap), restart, shut down.
    for (let k = 0; k < (i % 7) * 6; k++) r = applyObservation(r, observation(`s${i}`, versions[(i + k + 1) % 5]!, { id: `p${i}-${k}`, startedAt: 2_000 + k, cluster: `c${i % 3}` }), 3_000 + k).record;
    if (i % 5 === 1) r = applyObservation(r, observation(`s${i}`, r.version, { id: r.id, kind: ObservationKind.LameDuck, cluster: r.cluster }), 9_000).record;
    if (i % 5 === 2) r = applyObservation(r, observation(`s${i}`, r.version, { id: r.id, kind: ObservationKind.Shutdown, cluster: r.cluster }), 9_500).record;
    if (i % 6 === 3) {
      const { startedAt: _s, ...rest } = r;
      r = rest;
    }
    out.push(r);
  }
  return out;
}

test("a record put in a slot comes back equal, whatever its shape", (t) => {
  const table = new ServerTable();
  const all = records();
  t.true(all.some((r) => r.history.length === MAX_HISTORY), "some histories are at the cap");
  for (const r of all) table.put(r);
  for (const r of all) t.deepEqual(table.record(table.slot(r.name)!), r, r.name);
  t.is(table.size, all.length);
});

test("a usual history (first seen, on the version still run) is made again, not kept; any other is kept as it was", (t) => {
  const table = new ServerTable();
  const usual = applyObservation(undefined, observation("u", "2.10.27"), 5_000).record;
  const changed = applyObservation(usual, observation("u", "2.11.0", { id: "two", startedAt: 6_000 }), 7_000).record;
  table.put(usual);
  t.deepEqual(table.record(table.slot("u")!).history, [{ kind: "first-seen", version: "2.10.27", at: 5_000 }]);
  table.put(changed);
  t.deepEqual(table.record(table.slot("u")!).history, changed.history);
  // A record whose history was cut to one entry of another version is not usual: kept as it is.
  const odd = { ...usual, history: [{ kind: "first-seen" as const, version: "2.9.10", at: 5_000 }] };
  table.put(odd);
  t.deepEqual(table.record(table.slot("u")!).history, odd.history);
});

test("a freed slot taken by another server keeps nothing of the one before", (t) => {
  const table = new ServerTable();
  const leaf = applyObservation(undefined, observation("old", "2.9.10", { kind: ObservationKind.Varz, go: "go1.19", gitCommit: "x", leaf: true }), 100).record;
  const changed = applyObservation(leaf, observation("old", "2.10.27", { id: "n2", startedAt: 150 }), 200).record;
  const slot = table.put(changed);
  table.sight(slot, ["a", "b"], ["east"], 12, true, 300);
  table.delete("old");
  t.is(table.slot("old"), undefined);
  const fresh = applyObservation(undefined, observation("new", "2.11.0"), 400).record;
  t.is(table.put(fresh), slot, "the slot is reused");
  t.deepEqual(table.record(slot), fresh);
  t.is(table.sighting(slot), undefined);
  t.deepEqual([table.routes(slot), table.gateways(slot), table.connections(slot)], [[], [], 0]);
});

test("repeats: only what a repeated advertisement may leave out or move is not compared", (t) => {
  const table = new ServerTable();
  const r = applyObservation(undefined, observation("a", "2.10.27", { kind: ObservationKind.Varz, go: "go1.22", gitCommit: "abc", leaf: true, startedAt: 50 }), 100).record;
  const slot = table.put(r);
  const same = observation("a", "2.10.27", { startedAt: 50 });
  t.true(table.repeats(slot, same));
  t.true(table.repeats(slot, { ...same, go: "go1.22", gitCommit: "abc", leaf: true }));
  for (const [what, obs] of [
    ["id", { ...same, id: "other" }],
    ["version", observation("a", "2.10.28", { startedAt: 50 })],
    ["cluster", { ...same, cluster: "c2" }],
    ["domain", { ...same, domain: "hub" }],
    ["host", { ...same, host: "10.0.0.9" }],
    ["start", { ...same, startedAt: 51 }],
    ["go", { ...same, go: "go1.23" }],
    ["git commit", { ...same, gitCommit: "def" }],
    ["leaf", { ...same, leaf: false }],
    ["lame duck", { ...same, kind: ObservationKind.LameDuck }],
  ] as const) {
    t.false(table.repeats(slot, obs), what);
  }
  table.seen(slot, 90);
  t.is(table.lastSeen(slot), 100, "last-seen never goes back");
  table.seen(slot, 120);
  t.is(table.lastSeen(slot), 120);
});

test("many servers: the columns grow and every record stays whole", (t) => {
  const table = new ServerTable();
  const n = 5_000;
  for (let i = 0; i < n; i++) table.put(applyObservation(undefined, observation(`n${i}`, i % 2 ? "2.10.27" : "2.11.0", { cluster: `c${i % 50}`, startedAt: i }), 10_000 + i).record);
  for (let i = 0; i < n; i += 2) table.delete(`n${i}`);
  for (let i = 0; i < n; i += 2) table.put(applyObservation(undefined, observation(`m${i}`, "2.9.10", { cluster: "moved" }), 20_000 + i).record);
  t.is(table.size, n);
  for (let i = 1; i < n; i += 2) {
    const r = table.record(table.slot(`n${i}`)!);
    t.is(r.version, "2.10.27");
    t.is(r.cluster, `c${i % 50}`);
    t.is(r.startedAt, i);
    t.is(r.firstSeen, 10_000 + i);
  }
  t.is(table.record(table.slot("m0")!).cluster, "moved");
});

test("reach facts are the record's state, version and last-seen and the latest sighting, for every slot", (t) => {
  const table = new ServerTable();
  const all = records();
  for (const [i, r] of all.entries()) {
    const slot = table.put(r);
    if (i % 2 === 0) table.sight(slot, [`s${i + 1}`, `s${i + 2}`], [], 3, false, 20_000 + i);
  }
  for (const [i, r] of all.entries()) {
    const slot = table.slot(r.name)!;
    t.deepEqual(table.reachFacts(slot), {
      name: r.name,
      state: r.state,
      version: r.version,
      lastSeen: r.lastSeen,
      sightedAt: i % 2 === 0 ? 20_000 + i : undefined,
      routes: i % 2 === 0 ? [`s${i + 1}`, `s${i + 2}`] : [],
    }, r.name);
  }
});
