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

const statsz = (routes: string[], connections = 0, gateways: string[] = [], jetstream = false) => ({ routes, gateways, connections, jetstream });

test("a STATSZ is kept as the server's latest sighting; only a change of routes or gateways moves the revision", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { statsz: statsz(["b", "b", "c"], 4, ["west"], true) }), 100);
  t.deepEqual(f.sighting("a"), { routes: ["b", "c"], gateways: ["west"], connections: 4, jetstream: true, at: 100 });
  const r0 = f.revision;
  f.observe(observation("a", "2.10.22", { statsz: statsz(["c", "b"], 9, ["west"], true) }), 200);
  t.is(f.revision, r0, "the same peers in another order, other client counts: no change a report shows");
  t.like(f.sighting("a"), { connections: 9, at: 200 });
  f.observe(observation("a", "2.10.22", { statsz: statsz(["c", "d"], 9, ["west"], true) }), 300);
  t.is(f.revision, r0 + 1, "a route replaced by another");
  f.observe(observation("a", "2.10.22", { statsz: statsz(["c"], 9, ["west"], true) }), 400);
  t.is(f.revision, r0 + 2, "a route lost");
  f.observe(observation("a", "2.10.22", { statsz: statsz(["c"], 9, ["east"], true) }), 500);
  t.is(f.revision, r0 + 3, "a gateway replaced");
  f.observe(observation("a", "2.10.22", { statsz: statsz(["c"], 9, ["east", "north"], true) }), 600);
  t.is(f.revision, r0 + 4, "a gateway added");
  t.is(f.sighting("nobody"), undefined);
});

test("clients: the connections of a cluster's running servers by their latest STATSZ", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { statsz: statsz([], 10) }), 100);
  f.observe(observation("b", "2.10.22", { statsz: statsz([], 5) }), 100);
  f.observe(observation("c", "2.10.22"), 100);
  f.observe(observation("x", "2.10.22", { cluster: "c2", statsz: statsz([], 7) }), 100);
  t.is(f.clients("c1"), 15);
  t.is(f.clients("c2"), 7);
  t.is(f.clients("none"), 0);
  f.observe(observation("b", "2.10.22", { kind: ObservationKind.LameDuck }), 200);
  t.is(f.clients("c1"), 10, "a lame-duck server's clients are leaving");
});

test("a running server going down is its cluster's departure, with the clients just before; a second notice changes nothing", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { statsz: statsz([], 10) }), 100);
  f.observe(observation("b", "2.10.22", { statsz: statsz([], 5) }), 100);
  t.is(f.departure("c1"), undefined);
  f.observe(observation("b", "2.10.22", { kind: ObservationKind.LameDuck }), 200);
  t.deepEqual(f.departure("c1"), { server: "b", at: 200, clientsBefore: 15 });
  f.observe(observation("b", "2.10.22", { kind: ObservationKind.Shutdown }), 300);
  t.deepEqual(f.departure("c1"), { server: "b", at: 200, clientsBefore: 15 }, "lame duck then shutdown: one departure");
  f.observe(observation("a", "2.10.22", { kind: ObservationKind.Shutdown }), 400);
  t.deepEqual(f.departure("c1"), { server: "a", at: 400, clientsBefore: 10 });
  t.is(f.departure("c2"), undefined);
});

test("probes: the latest and the one before, per cluster; sending one leaves the revision (it shows once settled)", (t) => {
  const f = fleet();
  t.is(f.probes("c1"), undefined);
  const r0 = f.revision;
  f.noteProbe("c1", 1_000);
  t.deepEqual(f.probes("c1"), { latest: 1_000 });
  f.noteProbe("c1", 2_000);
  f.noteProbe("c1", 3_000);
  t.deepEqual(f.probes("c1"), { latest: 3_000, previous: 2_000 });
  t.is(f.probes("c2"), undefined);
  t.is(f.revision, r0);
});

test("set puts a record in place as it is and moves the revision; size counts the records", (t) => {
  const f = fleet();
  const { record } = f.observe(observation("a", "2.10.22"), 100);
  t.is(f.size, 1);
  const r0 = f.revision;
  f.set({ ...record, version: "2.10.24" });
  t.is(f.get("a")?.version, "2.10.24");
  t.is(f.revision, r0 + 1);
  f.set({ ...record, name: "b" });
  t.is(f.size, 2);
});

test("leaves the live hubs list: merged by name over hubs and accounts, sorted; unnamed ones counted", (t) => {
  const f = fleet();
  f.observe(observation("hub1", "2.10.22"), 0);
  f.noteLeafLinks("hub1", [{ name: "leaf-b", account: "APP" }, { name: "leaf-a", account: "SYS" }, { account: "APP" }], 1_000);
  f.noteLeafLinks("hub2", [{ name: "leaf-a", account: "APP" }, { account: "X" }, { name: "", account: "Y" }], 2_000);
  t.deepEqual(f.listedLeaves(2_000), {
    named: [
      { name: "leaf-a", hub: "hub1", accounts: ["APP", "SYS"] },
      { name: "leaf-b", hub: "hub1", accounts: ["APP"] },
    ],
    unnamed: 3,
  });
  t.deepEqual(f.listedLeaves(61_000), {
    named: [
      { name: "leaf-a", hub: "hub1", accounts: ["APP", "SYS"] },
      { name: "leaf-b", hub: "hub1", accounts: ["APP"] },
    ],
    unnamed: 3,
  }, "exactly the offline window after hub1's answer: still live");
  t.deepEqual(f.listedLeaves(61_001), { named: [{ name: "leaf-a", hub: "hub2", accounts: ["APP"] }], unnamed: 2 }, "hub1's answer is too old");
  t.deepEqual(f.listedLeaves(62_001), { named: [], unnamed: 0 });
});

test("the same leaf links again refresh the answer's time without moving the revision; a change moves it", (t) => {
  const f = fleet();
  f.noteLeafLinks("hub1", [{ name: "l1", account: "A" }, { name: "l2", account: "B" }], 0);
  const r0 = f.revision;
  f.noteLeafLinks("hub1", [{ name: "l2", account: "B" }, { name: "l1", account: "A" }], 50_000);
  t.is(f.revision, r0);
  t.is(f.listedLeaves(100_000).named.length, 2, "listed 50 s ago: live");
  f.noteLeafLinks("hub1", [{ name: "l2", account: "B" }, { name: "l1", account: "C" }], 60_000);
  t.is(f.revision, r0 + 1, "another account");
  f.noteLeafLinks("hub1", [{ name: "l2", account: "B" }], 70_000);
  t.is(f.revision, r0 + 2, "a link gone");
});

test("a server is a leaf by its own VARZ, or while a hub lists it; a leaf's own listing does not count", (t) => {
  const f = fleet();
  const byVarz = f.observe(observation("v", "2.10.22", { kind: ObservationKind.Varz, leaf: true }), 0).record;
  const listed = f.observe(observation("l", "2.10.22"), 0).record;
  const hub = f.observe(observation("h", "2.10.22"), 0).record;
  t.true(f.isLeaf(byVarz));
  t.false(f.isLeaf(listed));
  f.noteLeafLinks("h", [{ name: "l", account: "APP" }], 0);
  t.true(f.isLeaf(listed));
  t.false(f.isLeaf(hub));
  f.noteLeafLinks("h", [], 10);
  t.false(f.isLeaf(listed), "no longer listed");
  // A leaf's LEAFZ lists its own leaves, not hub connections to count here.
  f.noteLeafLinks("v", [{ name: "deeper", account: "APP" }], 20);
  t.deepEqual(f.listedLeaves(20), { named: [], unnamed: 0 });
});

test("a hub's listing remakes the digests only when it changes which servers are leaves", (t) => {
  const f = fleet();
  f.observe(observation("h", "2.10.22", { cluster: "hub" }), 0);
  f.observe(observation("l", "2.10.22", { cluster: "edge" }), 0);
  const hub = f.digest("hub", 0);
  const edge = f.digest("edge", 0);
  // A hub's first answer, with no leaf: nothing a digest reads changed (every cluster's digest at
  // 100,000 servers was made again for this at each start).
  f.noteLeafLinks("h", [], 10);
  t.is(f.digest("hub", 10), hub);
  t.is(f.digest("edge", 10), edge);
  // The hub lists l: edge is a leaf cluster now.
  f.noteLeafLinks("h", [{ name: "l", account: "SYS" }], 20);
  t.not(f.digest("edge", 20), edge);
  t.is(f.digest("edge", 20)!.role, "leaf");
  const leafEdge = f.digest("edge", 20);
  // The same leaf through another account: still the same leaves.
  f.noteLeafLinks("h", [{ name: "l", account: "APP" }], 30);
  t.is(f.digest("edge", 30), leafEdge);
  f.noteLeafLinks("h", [], 40);
  t.is(f.digest("edge", 40)!.role, "hub", "no longer listed");
});

test("forgetting a server drops its sighting and duplicates too; nothing forgotten leaves the revision", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { id: "ONE", startedAt: 5_000, statsz: statsz(["b"]) }), 6_000);
  f.observe(observation("a", "2.10.22", { id: "TWO", startedAt: 1_000 }), 6_000);
  t.deepEqual(f.duplicates(6_000), [{ name: "a", ids: ["ONE", "TWO"] }]);
  const r0 = f.revision;
  t.deepEqual(f.forget(7_000, 1_000), [], "silent for exactly the forget window: kept");
  t.is(f.revision, r0);
  t.deepEqual(f.forget(7_001, 1_000).map((r) => r.name), ["a"]);
  t.is(f.sighting("a"), undefined);
  f.observe(observation("a", "2.10.22", { id: "ONE", startedAt: 5_000 }), 7_100);
  t.deepEqual(f.duplicates(7_100), [], "the duplicate was forgotten with the name");
  t.is(f.size, 1);
});

test("duplicates: reported until the window passes; a duplicate's lame duck or its taking over ends it", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { id: "ONE", startedAt: 5_000 }), 6_000);
  const r0 = f.revision;
  f.observe(observation("a", "2.9.10", { id: "TWO", startedAt: 1_000 }), 6_000);
  t.is(f.revision, r0 + 1, "a new duplicate is a change");
  f.observe(observation("a", "2.9.10", { id: "TWO", startedAt: 1_000 }), 6_500);
  t.is(f.revision, r0 + 1, "seeing it again is not");
  t.deepEqual(f.duplicates(66_500), [{ name: "a", ids: ["ONE", "TWO"] }], "exactly the window after its last sighting");
  t.deepEqual(f.duplicates(66_501), []);
  // Its lame duck: no longer a duplicate, and not news about the tracked server either.
  t.is(f.observe(observation("a", "2.9.10", { id: "TWO", kind: ObservationKind.LameDuck }), 6_600).outcome, ObserveOutcome.Seen);
  t.deepEqual(f.duplicates(6_600), []);
  t.is(f.get("a")?.state, "running");
});

test("a duplicate that takes over the name once the tracked server is down is no longer reported", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { id: "ONE", startedAt: 5_000 }), 6_000);
  f.observe(observation("a", "2.9.10", { id: "TWO", startedAt: 1_000 }), 6_000);
  f.observe(observation("a", "2.10.22", { id: "ONE", kind: ObservationKind.Shutdown }), 6_100);
  const next = f.observe(observation("a", "2.9.10", { id: "TWO", startedAt: 1_000 }), 6_200);
  t.is(next.outcome, ObserveOutcome.Material);
  t.is(f.get("a")?.id, "TWO");
  t.deepEqual(f.duplicates(6_200), []);
});

test("a server silent past the window is not guarded against duplicates: the other process takes the name", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { id: "ONE", startedAt: 5_000 }), 6_000);
  t.is(f.observe(observation("a", "2.9.10", { id: "TWO", startedAt: 1_000 }), 66_000).outcome, ObserveOutcome.Duplicate, "at the window's edge ONE is live");
  t.is(f.observe(observation("a", "2.9.10", { id: "THREE", startedAt: 1_000 }), 66_001).outcome, ObserveOutcome.Material);
  t.is(f.get("a")?.id, "THREE");
});

test("a repeated advertisement moves last-seen in place and keeps the lists it had; a record handed out is the caller's", (t) => {
  const f = fleet();
  const first = f.observe(observation("a", "2.10.22", { statsz: statsz(["b", "c"], 1, ["west"]) }), 100).record;
  const sighted = f.sighting("a")!;
  const again = f.observe(observation("a", "2.10.22", { statsz: statsz(["c", "b"], 2, ["west"]) }), 200);
  t.is(again.outcome, ObserveOutcome.Seen);
  t.is(again.record.lastSeen, 200);
  t.is(f.get("a")!.lastSeen, 200);
  t.is(f.lastSeen("a"), 200);
  t.is(first.lastSeen, 100, "a record handed out does not change with the fleet");
  t.is(f.sighting("a")!.routes, sighted.routes, "the same route list");
  t.is(f.sighting("a")!.gateways, sighted.gateways);
  t.is(f.sighting("a")!.connections, 2);
  t.is(f.observe(observation("a", "2.10.22"), 150).record.lastSeen, 200, "an older arrival never moves it back");
  const changed = f.observe(observation("a", "2.10.24", { id: "X" }), 300).record;
  t.is(changed.version, "2.10.24");
  t.is(f.get("a")!.version, "2.10.24");
  t.is(first.version, "2.10.22", "a record once handed out is left as it was");
});

test("a record handed to set() is the caller's: the fleet keeps its own, and a repeat never writes to the caller's", (t) => {
  const f = fleet();
  const mine = f.observe(observation("a", "2.10.22"), 100).record;
  const copy = { ...mine, lastSeen: 150 };
  f.set(copy);
  f.observe(observation("a", "2.10.22"), 500);
  t.is(copy.lastSeen, 150);
  t.is(f.get("a")!.lastSeen, 500);
});

test("releaseDigests lets go of every digest held: the next read makes it again, alike", (t) => {
  const f = fleet();
  f.observe(observation("a", "2.10.22", { cluster: "c1" }), 100);
  f.observe(observation("b", "2.10.21", { cluster: "c1" }), 100);
  const held = f.digest("c1", 200)!;
  t.is(f.digest("c1", 200), held);
  f.releaseDigests();
  const made = f.digest("c1", 200)!;
  t.not(made, held);
  t.deepEqual([made.live, made.expected, made.summary.target, made.summary.outliers.map((o) => o.name), [...made.builds]], [held.live, held.expected, held.summary.target, held.summary.outliers.map((o) => o.name), [...held.builds]]);
});
