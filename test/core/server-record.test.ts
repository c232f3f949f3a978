import test from "ava";
import { ObservationKind } from "../../src/core/observation.js";
import { applyObservation, capHistory, compareByName, MAX_HISTORY, ServerState, VersionChangeKind, type ServerRecord } from "../../src/core/server-record.js";
import { observation } from "../helpers/observations.js";

const first = (version = "2.10.22", at = 100): ServerRecord => applyObservation(undefined, observation("n1", version), at).record;

test("a new server is material, first seen now, running, with a first-seen history entry", (t) => {
  const { record, material } = applyObservation(undefined, observation("n1", "v2.10.22"), 100);
  t.true(material);
  t.is(record.version, "2.10.22");
  t.is(record.firstSeen, 100);
  t.is(record.versionSince, 100);
  t.is(record.lastSeen, 100);
  t.is(record.state, ServerState.Running);
  t.deepEqual(record.history, [{ kind: "first-seen", version: "2.10.22", at: 100 }]);
});

test("the same advertisement again only moves last-seen and is not material", (t) => {
  const prev = first();
  const { record, material } = applyObservation(prev, observation("n1", "2.10.22"), 5_000);
  t.false(material);
  t.is(record.lastSeen, 5_000);
  t.is(record.firstSeen, 100);
  t.is(record.history, prev.history);
});

test("a restart on a newer version is an upgrade in history, dated at the new process's start; first-seen is kept", (t) => {
  const prev = first();
  const { record, material } = applyObservation(prev, observation("n1", "2.10.24", { id: "NEW", startedAt: 9_000 }), 10_000);
  t.true(material);
  t.is(record.id, "NEW");
  t.is(record.startedAt, 9_000);
  t.is(record.firstSeen, 100);
  t.is(record.versionSince, 9_000);
  t.deepEqual(record.history.at(-1), { kind: "upgrade", version: "2.10.24", from: "2.10.22", at: 9_000 });
});

test("a version change seen late is dated when the new process started, kept between the last sighting of the old one and now", (t) => {
  // An instance that starts two hours after the restart (or whose write of the change was lost) must not see it as news.
  const prev = { ...first(), lastSeen: 5_000 };
  const late = applyObservation(prev, observation("n1", "2.10.24", { id: "NEW", startedAt: 6_000 }), 7_206_000).record;
  t.is(late.versionSince, 6_000);
  t.is(late.history.at(-1)?.at, 6_000);
  // The server's clock behind ours: not before the old process was last seen.
  t.is(applyObservation(prev, observation("n1", "2.10.24", { id: "NEW", startedAt: 1_000 }), 8_000).record.versionSince, 5_000);
  // Ahead of ours: not after now.
  t.is(applyObservation(prev, observation("n1", "2.10.24", { id: "NEW", startedAt: 99_000 }), 8_000).record.versionSince, 8_000);
  // Without a start time (a lifecycle event), or the same process: when it was seen.
  const { startedAt: _unknown, ...noStart } = observation("n1", "2.10.24", { id: "NEW" });
  t.is(applyObservation(prev, noStart, 8_000).record.versionSince, 8_000);
  t.is(applyObservation(prev, observation("n1", "2.10.24", { id: prev.id, startedAt: 6_000 }), 8_000).record.versionSince, 8_000);
});

test("an older version afterwards is a downgrade (a rollback)", (t) => {
  const up = applyObservation(first(), observation("n1", "2.11.0", { id: "B" }), 1_000).record;
  const down = applyObservation(up, observation("n1", "2.10.22", { id: "C" }), 2_000).record;
  t.deepEqual(down.history.map((h) => h.kind), ["first-seen", "upgrade", "downgrade"]);
});

test("same release, other build metadata is a rebuild", (t) => {
  const r = applyObservation(first("2.10.22+a"), observation("n1", "2.10.22+b", { id: "B" }), 1_000).record;
  t.is(r.history.at(-1)?.kind, "rebuild");
});

test("lame duck, then STATSZ of the same process: still lame duck", (t) => {
  const ld = applyObservation(first(), observation("n1", "2.10.22", { kind: ObservationKind.LameDuck }), 1_000);
  t.true(ld.material);
  t.is(ld.record.state, ServerState.LameDuck);
  t.is(ld.record.stateSince, 1_000);
  const again = applyObservation(ld.record, observation("n1", "2.10.22"), 2_000);
  t.is(again.record.state, ServerState.LameDuck);
  t.false(again.material);
});

test("shutdown, then a new process: running again", (t) => {
  const down = applyObservation(first(), observation("n1", "2.10.22", { kind: ObservationKind.Shutdown }), 1_000).record;
  t.is(down.state, ServerState.ShutDown);
  const back = applyObservation(down, observation("n1", "2.10.22", { id: "NEW", startedAt: 1_500 }), 2_000);
  t.true(back.material);
  t.is(back.record.state, ServerState.Running);
  t.is(back.record.stateSince, 2_000);
});

test("a lifecycle event of an older process does not touch the current one", (t) => {
  const current = applyObservation(first(), observation("n1", "2.10.24", { id: "NEW" }), 1_000).record;
  const late = applyObservation(current, observation("n1", "2.10.22", { id: "ID-n1", kind: ObservationKind.Shutdown }), 2_000);
  t.false(late.material);
  t.is(late.record, current);
});

test("VARZ adds go and git commit; a new process forgets them until its own VARZ", (t) => {
  const withBuild = applyObservation(first(), observation("n1", "2.10.22", { kind: ObservationKind.Varz, go: "go1.22", gitCommit: "abc" }), 1_000);
  t.true(withBuild.material);
  t.is(withBuild.record.go, "go1.22");
  const stats = applyObservation(withBuild.record, observation("n1", "2.10.22"), 2_000).record;
  t.is(stats.gitCommit, "abc");
  const restarted = applyObservation(stats, observation("n1", "2.10.24", { id: "NEW" }), 3_000).record;
  t.false("go" in restarted);
  t.false("gitCommit" in restarted);
});

test("history is capped, keeping the first entry", (t) => {
  let r = first("2.0.0");
  for (let i = 1; i <= MAX_HISTORY + 10; i++) r = applyObservation(r, observation("n1", `2.0.${i}`, { id: `P${i}` }), i * 10).record;
  t.is(r.history.length, MAX_HISTORY);
  t.is(r.history[0]?.kind, "first-seen");
  t.is(r.history.at(-1)?.version, `2.0.${MAX_HISTORY + 10}`);
});

test("each fact of the same process that changes is material, and kept", (t) => {
  const prev = applyObservation(undefined, observation("n1", "2.10.22", { kind: ObservationKind.Varz, go: "go1.22", gitCommit: "abc", startedAt: 50 }), 100).record;
  for (const [what, over, field, value] of [
    ["cluster", { cluster: "c2" }, "cluster", "c2"],
    ["domain", { domain: "hub" }, "domain", "hub"],
    ["host", { host: "10.0.0.9" }, "host", "10.0.0.9"],
    ["start time", { startedAt: 60 }, "startedAt", 60],
    ["go", { kind: ObservationKind.Varz, go: "go1.23" }, "go", "go1.23"],
    ["git commit", { kind: ObservationKind.Varz, gitCommit: "def" }, "gitCommit", "def"],
    ["leaf", { kind: ObservationKind.Varz, leaf: true }, "leaf", true],
  ] as const) {
    // Everything else as before (the same start time), so that this one fact is the only news.
    const { record, material } = applyObservation(prev, observation("n1", "2.10.22", { startedAt: 50, ...over }), 200);
    t.true(material, what);
    t.is(record[field], value, what);
    t.is(record.lastSeen, 200, what);
    t.is(record.versionSince, 100, `${what}: the version did not change`);
    t.is(record.history, prev.history, what);
  }
});

test("the same facts again, with or without the optional ones, are not material", (t) => {
  const prev = applyObservation(undefined, observation("n1", "2.10.22", { kind: ObservationKind.Varz, go: "go1.22", gitCommit: "abc", startedAt: 50, leaf: true }), 100).record;
  const same = applyObservation(prev, observation("n1", "2.10.22", { kind: ObservationKind.Varz, go: "go1.22", gitCommit: "abc", startedAt: 50, leaf: true }), 200);
  t.false(same.material);
  t.like(same.record, { go: "go1.22", gitCommit: "abc", startedAt: 50, leaf: true, lastSeen: 200 });
  const { startedAt: _, ...withoutStart } = observation("n1", "2.10.22");
  const stats = applyObservation(prev, withoutStart, 300);
  t.false(stats.material, "STATSZ without a start time, go, commit or leaf flag");
  t.like(stats.record, { go: "go1.22", gitCommit: "abc", startedAt: 50, leaf: true, lastSeen: 300 });
});

test("last-seen never goes back, for a repeat or a change", (t) => {
  const prev = applyObservation(undefined, observation("n1", "2.10.22"), 1_000).record;
  t.is(applyObservation(prev, observation("n1", "2.10.22"), 500).record.lastSeen, 1_000);
  t.is(applyObservation(prev, observation("n1", "2.10.22", { host: "h2" }), 500).record.lastSeen, 1_000);
});

test("a leaf stays a leaf until a VARZ says otherwise", (t) => {
  const leaf = applyObservation(undefined, observation("n1", "2.10.22", { kind: ObservationKind.Varz, leaf: true }), 100).record;
  t.true(leaf.leaf);
  const restarted = applyObservation(leaf, observation("n1", "2.10.24", { id: "NEW" }), 200).record;
  t.true(restarted.leaf, "a STATSZ says nothing about it");
  const hub = applyObservation(restarted, observation("n1", "2.10.24", { id: "NEW", kind: ObservationKind.Varz, leaf: false }), 300);
  t.true(hub.material);
  t.false("leaf" in hub.record);
  t.false("leaf" in applyObservation(undefined, observation("n2", "2.10.22"), 100).record);
});

test("a lame-duck process's own shutdown is a change of state; state-since moves only when the state does", (t) => {
  const ld = applyObservation(first(), observation("n1", "2.10.22", { kind: ObservationKind.LameDuck }), 1_000).record;
  const ldAgain = applyObservation(ld, observation("n1", "2.10.22", { kind: ObservationKind.LameDuck }), 1_500);
  t.false(ldAgain.material);
  t.is(ldAgain.record.stateSince, 1_000);
  const down = applyObservation(ld, observation("n1", "2.10.22", { kind: ObservationKind.Shutdown }), 2_000);
  t.true(down.material);
  t.is(down.record.state, ServerState.ShutDown);
  t.is(down.record.stateSince, 2_000);
  const varz = applyObservation(down.record, observation("n1", "2.10.22", { kind: ObservationKind.Varz, go: "go1.22" }), 2_500).record;
  t.is(varz.state, ServerState.ShutDown, "a late VARZ of the same process does not bring it back");
});

test("first sight: go, git commit and start time only when given; state from the kind", (t) => {
  const { startedAt: _, ...bare } = observation("n1", "2.10.22");
  const r = applyObservation(undefined, bare, 100).record;
  t.false("go" in r);
  t.false("gitCommit" in r);
  t.false("startedAt" in r);
  const full = applyObservation(undefined, observation("n1", "2.10.22", { kind: ObservationKind.Varz, go: "go1.22", gitCommit: "abc" }), 100).record;
  t.like(full, { go: "go1.22", gitCommit: "abc", startedAt: 1_000, state: "running", stateSince: 100, firstSeen: 100 });
  t.is(applyObservation(undefined, observation("n2", "2.10.22", { kind: ObservationKind.LameDuck }), 100).record.state, ServerState.LameDuck);
  t.is(applyObservation(undefined, observation("n3", "2.10.22", { kind: ObservationKind.Shutdown }), 100).record.state, ServerState.ShutDown);
});

test("a version change is an upgrade in history, with where it came from; a running server stays running since first seen", (t) => {
  const r = applyObservation(first("2.10.22", 100), observation("n1", "2.10.24", { id: "B" }), 500).record;
  t.deepEqual(r.history, [
    { kind: "first-seen", version: "2.10.22", at: 100 },
    { kind: "upgrade", version: "2.10.24", from: "2.10.22", at: 500 },
  ]);
  t.is(r.versionSince, 500);
  t.is(r.stateSince, 100);
});

test("capHistory keeps short histories as they are, and the first plus the most recent of long ones", (t) => {
  const h = (n: number) => Array.from({ length: n }, (_, i) => ({ kind: VersionChangeKind.Rebuild, version: `2.0.0+b${i}`, at: i }));
  const exact = h(MAX_HISTORY);
  t.is(capHistory(exact), exact);
  const long = capHistory(h(MAX_HISTORY + 1));
  t.is(long.length, MAX_HISTORY);
  t.is(long[0]!.at, 0);
  t.is(long[1]!.at, 2);
  t.is(long.at(-1)!.at, MAX_HISTORY);
});

test("records are ordered by name", (t) => {
  const a = first();
  const names = ["b", "a", "c", "a"].map((name) => ({ ...a, name }));
  t.deepEqual(names.sort(compareByName).map((r) => r.name), ["a", "a", "b", "c"]);
  t.is(compareByName({ ...a, name: "x" }, { ...a, name: "x" }), 0);
  t.is(compareByName({ ...a, name: "x" }, { ...a, name: "y" }), -1);
  t.is(compareByName({ ...a, name: "y" }, { ...a, name: "x" }), 1);
});
