import test from "ava";
import { ObservationKind } from "../../src/core/observation.js";
import { applyObservation, MAX_HISTORY, ServerState, type ServerRecord } from "../../src/core/server-record.js";
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

test("a restart on a newer version is an upgrade in history; first-seen is kept", (t) => {
  const prev = first();
  const { record, material } = applyObservation(prev, observation("n1", "2.10.24", { id: "NEW", startedAt: 9_000 }), 10_000);
  t.true(material);
  t.is(record.id, "NEW");
  t.is(record.startedAt, 9_000);
  t.is(record.firstSeen, 100);
  t.is(record.versionSince, 10_000);
  t.deepEqual(record.history.at(-1), { kind: "upgrade", version: "2.10.24", from: "2.10.22", at: 10_000 });
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
