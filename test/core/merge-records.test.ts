import test from "ava";
import { mergeRecords } from "../../src/core/merge-records.js";
import { applyObservation, MAX_HISTORY, ServerState, VersionChangeKind, type ServerRecord } from "../../src/core/server-record.js";
import { observation } from "../helpers/observations.js";

test("the earliest first-seen and version-since win; histories merge without duplicates", (t) => {
  // Instance A saw the server first at 100, instance B at 150; both saw the upgrade, a few ms apart.
  const a0 = applyObservation(undefined, observation("n", "2.10.22"), 100).record;
  const b0 = applyObservation(undefined, observation("n", "2.10.22"), 150).record;
  const a = applyObservation(a0, observation("n", "2.10.24", { id: "X" }), 1_000).record;
  const b = applyObservation(b0, observation("n", "2.10.24", { id: "X" }), 1_004).record;
  const merged = mergeRecords(b, a);
  t.is(merged.firstSeen, 100);
  t.is(merged.versionSince, 1_000);
  t.is(merged.lastSeen, 1_004);
  t.deepEqual(merged.history.map((h) => [h.kind, h.version, h.at]), [
    ["first-seen", "2.10.22", 100],
    ["upgrade", "2.10.24", 1_000],
  ]);
});

test("when versions differ, our newer observation's version-since stands", (t) => {
  const stored = applyObservation(undefined, observation("n", "2.10.22"), 100).record;
  const ours = applyObservation(stored, observation("n", "2.10.24", { id: "X" }), 2_000).record;
  const merged = mergeRecords(ours, { ...stored, versionSince: 50 });
  t.is(merged.version, "2.10.24");
  t.is(merged.versionSince, ours.versionSince);
  t.true(ours.versionSince > 50);
  t.is(merged.firstSeen, 100);
});

const record = (over: Partial<ServerRecord> = {}): ServerRecord => ({
  ...applyObservation(undefined, observation("n", "2.10.22"), 100).record,
  ...over,
});

test("first-seen, version-since and last-seen are merged the same whichever side holds the earlier or later time", (t) => {
  const early = record({ firstSeen: 100, versionSince: 200, lastSeen: 5_000 });
  const late = record({ firstSeen: 150, versionSince: 250, lastSeen: 6_000 });
  for (const [ours, stored] of [[early, late], [late, early]] as const) {
    const merged = mergeRecords(ours, stored);
    t.is(merged.firstSeen, 100);
    t.is(merged.versionSince, 200);
    t.is(merged.lastSeen, 6_000);
  }
});

test("state-since: the earliest when both saw the same process in the same state, otherwise ours", (t) => {
  const ours = record({ state: ServerState.LameDuck, stateSince: 3_000 });
  t.is(mergeRecords(ours, record({ state: ServerState.LameDuck, stateSince: 2_000 })).stateSince, 2_000);
  t.is(mergeRecords(ours, record({ state: ServerState.LameDuck, stateSince: 4_000 })).stateSince, 3_000);
  t.is(mergeRecords(ours, record({ state: ServerState.Running, stateSince: 2_000 })).stateSince, 3_000, "another state: ours");
  t.is(mergeRecords(ours, record({ state: ServerState.LameDuck, stateSince: 2_000, id: "OTHER" })).stateSince, 3_000, "another process: ours");
});

test("the rest of the record is ours", (t) => {
  const ours = record({ id: "NEW", host: "10.0.0.2", state: ServerState.Running, version: "2.10.24" });
  const merged = mergeRecords(ours, record({ id: "OLD", host: "10.0.0.1", state: ServerState.ShutDown }));
  t.like(merged, { id: "NEW", host: "10.0.0.2", state: "running", version: "2.10.24" });
});

test("histories: in time order, a change recorded by both kept once, changes that differ in kind, version or origin all kept", (t) => {
  const first = { kind: VersionChangeKind.FirstSeen, version: "2.10.22", at: 100 };
  const up = { kind: VersionChangeKind.Upgrade, version: "2.10.24", from: "2.10.22", at: 1_000 };
  const ours = record({
    history: [first, { ...up, at: 1_003 }, { kind: VersionChangeKind.Downgrade, version: "2.10.22", from: "2.10.24", at: 3_000 }],
  });
  const stored = record({
    history: [
      { ...first, at: 150 },
      up,
      { kind: VersionChangeKind.Rebuild, version: "2.10.24", from: "2.10.22", at: 2_000 },
      { kind: VersionChangeKind.Rebuild, version: "2.10.24+b", from: "2.10.22", at: 2_500 },
      { kind: VersionChangeKind.Rebuild, version: "2.10.24+b", from: "2.10.24", at: 2_700 },
      { kind: VersionChangeKind.Downgrade, version: "2.10.22", from: "2.10.24", at: 3_002 },
    ],
  });
  t.deepEqual(mergeRecords(ours, stored).history, [
    first,
    up,
    { kind: "rebuild", version: "2.10.24", from: "2.10.22", at: 2_000 },
    { kind: "rebuild", version: "2.10.24+b", from: "2.10.22", at: 2_500 },
    { kind: "rebuild", version: "2.10.24+b", from: "2.10.24", at: 2_700 },
    { kind: "downgrade", version: "2.10.22", from: "2.10.24", at: 3_000 },
  ]);
});

test("histories: another instance's first sighting after the first entry is not a change", (t) => {
  // We saw the server on 2.10.22 and its upgrade; the other instance first saw it later, on 2.10.24.
  const ours = record({
    history: [
      { kind: VersionChangeKind.FirstSeen, version: "2.10.22", at: 100 },
      { kind: VersionChangeKind.Upgrade, version: "2.10.24", from: "2.10.22", at: 1_000 },
    ],
  });
  const stored = record({ history: [{ kind: VersionChangeKind.FirstSeen, version: "2.10.24", at: 1_500 }] });
  t.deepEqual(mergeRecords(ours, stored).history.map((h) => [h.kind, h.version, h.at]), [
    ["first-seen", "2.10.22", 100],
    ["upgrade", "2.10.24", 1_000],
  ]);
  t.deepEqual(mergeRecords(stored, ours).history.map((h) => [h.kind, h.version, h.at]), [
    ["first-seen", "2.10.22", 100],
    ["upgrade", "2.10.24", 1_000],
  ]);
});

test("a merged history longer than the cap keeps its first entry and the most recent ones", (t) => {
  const changes = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({ kind: VersionChangeKind.Rebuild, version: `2.10.22+b${from + i}`, from: "2.10.22", at: 1_000 * (from + i) }));
  const first = { kind: VersionChangeKind.FirstSeen, version: "2.10.22", at: 100 };
  const merged = mergeRecords(record({ history: [first, ...changes(1, 20)] }), record({ history: [first, ...changes(21, 20)] }));
  t.is(merged.history.length, MAX_HISTORY);
  t.deepEqual(merged.history[0], first);
  t.is(merged.history[1]!.version, "2.10.22+b10");
  t.is(merged.history.at(-1)!.version, "2.10.22+b40");
});
