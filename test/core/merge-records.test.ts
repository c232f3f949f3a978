import test from "ava";
import { mergeRecords } from "../../src/core/merge-records.js";
import { applyObservation } from "../../src/core/server-record.js";
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
  t.is(merged.versionSince, 2_000);
  t.is(merged.firstSeen, 100);
});
