import test from "ava";
import { Fleet, ObserveOutcome } from "../../src/core/fleet.js";
import { ObservationKind } from "../../src/core/observation.js";
import { observation } from "../helpers/observations.js";

const fleet = () => new Fleet({ offlineAfterMs: 60_000 });

test("revision moves on material changes only", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22"), 0);
  const r1 = f.revision;
  t.is(f.observe(observation("a", "2.10.22"), 10).outcome, ObserveOutcome.Seen);
  t.is(f.revision, r1);
  t.is(f.observe(observation("a", "2.10.24", { id: "X" }), 20).outcome, ObserveOutcome.Material);
  t.true(f.revision > r1);
});

test("a server not heard from within the window is not live; a shut down one is until the window passes", (t) => {
  const f = fleet();
  const { record } = f.observe(observation("a", "2.10.22"), 0);
  t.true(f.isLive(record, 60_000));
  t.false(f.isLive(record, 60_001));
  const down = f.observe(observation("a", "2.10.22", { kind: ObservationKind.Shutdown }), 10).record;
  t.true(f.isLive(down, 11));
  t.false(f.isLive(down, 60_011));
});

test("a second live process with the same name, started earlier, is a duplicate and not stored", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { id: "ONE", startedAt: 5_000 }), 6_000);
  const dup = f.observe(observation("a", "2.9.10", { id: "TWO", startedAt: 1_000 }), 6_100);
  t.is(dup.outcome, ObserveOutcome.Duplicate);
  t.is(f.get("a")?.id, "ONE");
  t.is(f.get("a")?.version, "2.10.22");
  t.deepEqual(f.duplicates(6_200), [{ name: "a", ids: ["ONE", "TWO"] }]);
  // Its next advertisement is still a duplicate, whatever its start time says.
  t.is(f.observe(observation("a", "2.9.10", { id: "TWO", startedAt: 1_000 }), 7_000).outcome, ObserveOutcome.Duplicate);
  // Gone quiet for longer than the window: no longer reported.
  f.observe(observation("a", "2.10.22", { id: "ONE", startedAt: 5_000 }), 70_000);
  t.deepEqual(f.duplicates(70_000), []);
});

test("a restart (later start) replaces the process, not a duplicate", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { id: "ONE", startedAt: 1_000 }), 2_000);
  const next = f.observe(observation("a", "2.10.24", { id: "TWO", startedAt: 3_000 }), 3_100);
  t.is(next.outcome, ObserveOutcome.Material);
  t.is(f.get("a")?.id, "TWO");
  t.deepEqual(f.duplicates(3_200), []);
});

test("a shut-down server's successor with an earlier clock is not a duplicate", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { id: "ONE", startedAt: 5_000 }), 6_000);
  f.observe(observation("a", "2.10.22", { id: "ONE", kind: ObservationKind.Shutdown }), 6_100);
  t.is(f.observe(observation("a", "2.10.24", { id: "TWO", startedAt: 4_000 }), 7_000).outcome, ObserveOutcome.Material);
});

test("servers silent for longer than the forget window are dropped, the rest kept", (t) => {
  const f = fleet();
  f.observe(observation("old", "2.10.22"), 0);
  f.observe(observation("fresh", "2.10.22"), 900);
  const r0 = f.revision;
  t.deepEqual(f.forget(1_000, 500).map((r) => r.name), ["old"]);
  t.is(f.get("old"), undefined);
  t.truthy(f.get("fresh"));
  t.true(f.revision > r0);
  t.deepEqual(f.forget(1_000, 500), []);
});
