import test from "ava";
import { decodeMismatchEvent, isMismatchEvent, type MismatchEvent } from "../../src/core/mismatch-event.js";
import { clusterOfScope, clusterScope, decodeMismatchRecord, encodeMismatchRecord, recordFromEvent, SYSTEM_SCOPE, type MismatchRecord } from "../../src/core/mismatch-record.js";
import type { MismatchState } from "../../src/core/mismatch-state.js";
import { affectedGrew, eventChain, eventEpoch, mismatchEventId, nextTransition, type ScopeView } from "../../src/core/mismatch-transition.js";

const view = (state: MismatchState, versions: string[], outliers: string[], since?: number): ScopeView => ({
  scope: "cluster:east",
  state,
  target: versions[0] ?? null,
  versions,
  outliers,
  since,
});

/** Feeds views in order, returning the event types and the final record. */
function run(views: [number, ScopeView][], start?: MismatchRecord) {
  let record = start;
  const events: string[] = [];
  const ids = new Set<string>();
  for (const [now, v] of views) {
    const t = nextTransition(record, v, now);
    if (!t) continue;
    record = t.record;
    if (t.event) {
      events.push(t.event.type);
      ids.add(t.event.id);
    }
  }
  return { events, record: record!, ids };
}

test("a rolling upgrade from start to finish: detected, changed, resolved, each once", (t) => {
  const { events, record, ids } = run([
    [0, view("consistent", ["2.10.0"], [])],
    [10, view("consistent", ["2.10.0"], [])],
    [20, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["c"], 15)],
    [21, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["c"], 21)],
    [30, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["a"], 30)],
    [40, view("consistent", ["2.11.0"], [])],
    [50, view("consistent", ["2.11.0"], [])],
  ]);
  t.deepEqual(events, ["detected", "changed", "resolved"]);
  t.is(ids.size, 3, "every event has its own id");
  t.is(record.state, "consistent");
  t.is(record.since, undefined);
  t.is(record.seq, 3);
});

test("the mismatch keeps its start; stalled and stale are announced once each", (t) => {
  const views: [number, ScopeView][] = [
    [0, view("consistent", ["2.10.0"], [])],
    [100, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["b", "c"], 90)],
    [200, view("stalled", ["2.11.0", "2.10.0"], ["b", "c"], 999)],
    [300, view("stalled", ["2.11.0", "2.10.0"], ["b", "c"], 999)],
    [400, view("stale", ["2.11.0", "2.10.0"], ["b", "c"], 999)],
    [500, view("stale", ["2.11.0", "2.10.0"], ["b", "c"], 999)],
  ];
  const { events, record } = run(views);
  t.deepEqual(events, ["detected", "stalled", "stale"]);
  t.is(record.since, 90);
});

test("a new mismatch starts no earlier than the record that said consistent", (t) => {
  const { record } = run([
    [1000, view("consistent", ["2.10.0"], [])],
    [2000, view("stalled", ["2.11.0", "2.10.0"], ["c"], 10)],
  ]);
  t.is(record.since, 1000);
});

test("first sight of a consistent scope is stored but not announced; first sight of a mismatch is detected", (t) => {
  const quiet = nextTransition(undefined, view("consistent", ["2.10.0"], []), 5);
  t.truthy(quiet);
  t.is(quiet!.event, undefined);
  t.is(nextTransition(undefined, view("stale", ["2.11.0", "2.10.0"], ["c"], 1), 5)?.event?.type, "detected");
});

test("resumed activity after a stall is a change", (t) => {
  const { events } = run([
    [0, view("stalled", ["2.11.0", "2.10.0"], ["c"], 0)],
    [10, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["c"], 0)],
  ]);
  t.deepEqual(events, ["detected", "changed"]);
});

test("event ids are stable for the same transition, so Nats-Msg-Id dedups a replay", (t) => {
  const prev = run([[0, view("consistent", ["2.10.0"], [])]]).record;
  const a = nextTransition(prev, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["c"], 5), 10)!;
  const b = nextTransition(prev, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["c"], 5), 10)!;
  t.is(a.event?.id, b.event?.id);
  t.is(a.event?.id, "cluster:east.0.1", "scope, the chain's epoch (its first record's time), the sequence");
});

test("ids never repeat along a chain: the epoch is kept, the sequence only grows, also past what the stream holds", (t) => {
  const { record } = run([
    [7, view("consistent", ["2.10.0"], [])],
    [10, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["c"], 5)],
    [20, view("consistent", ["2.11.0"], [])],
  ]);
  t.is(record.epoch, 7);
  t.is(record.seq, 2);
  // The stored record went back (a late write) while the stream already holds seq 4 of this chain.
  const t1 = nextTransition(record, view("rolling-upgrade", ["2.12.0", "2.11.0"], ["a"], 30), 30, 4)!;
  t.is(t1.record.seq, 5);
  t.is(t1.event?.id, "cluster:east.7.5");
  t.is(nextTransition(undefined, view("stale", ["2.12.0", "2.11.0"], ["a"], 30), 40)!.event?.id, "cluster:east.40.1", "a new chain has a new epoch");
});

test("records round-trip through their codec; garbage does not decode", (t) => {
  const { record } = run([[0, view("consistent", ["2.10.0"], [])], [10, view("stale", ["2.11.0", "2.10.0"], ["c"], 3)]]);
  t.deepEqual(decodeMismatchRecord(new TextEncoder().encode(encodeMismatchRecord(record))), record);
  const withEvent = { ...record, writer: "abc.1", event: { id: "cluster:east.0.1", seq: 1, type: "detected", scope: "cluster:east" } };
  t.deepEqual(decodeMismatchRecord(new TextEncoder().encode(JSON.stringify({ ...withEvent, schema: 2 }))), withEvent as unknown as MismatchRecord);
  for (const bad of [
    "", "{", "[]", '{"schema":1}',
    JSON.stringify({ ...record, schema: 1, state: "weird" }),
    JSON.stringify({ ...record, schema: 3 }),
    JSON.stringify({ ...record, schema: 2, epoch: "0" }),
    JSON.stringify({ ...withEvent, schema: 2, writer: 5 }),
    JSON.stringify({ ...withEvent, schema: 2, event: { id: "x", type: "detected", scope: "s" } }),
  ]) {
    t.is(decodeMismatchRecord(new TextEncoder().encode(bad)), undefined, bad);
  }
});

test("a record of schema 1 (before the outbox) decodes, with no event to deliver and its epoch at its last update", (t) => {
  const v1 = { schema: 1, scope: "system", state: "stalled", target: "2.10.0", versions: ["2.10.0", "2.9.0"], outliers: ["a"], since: 3, seq: 4, updatedAt: 9, eventId: "system.3.4" };
  const r = decodeMismatchRecord(new TextEncoder().encode(JSON.stringify(v1)))!;
  t.is(r.epoch, 9);
  t.is(r.seq, 4);
  t.is(r.event, undefined);
  t.false("eventId" in r);
});

test("advisories: more servers on an affected version is announced once; fewer, or the same, is not; first sight is not", (t) => {
  const affected = (n: number) => [{ version: "2.10.27", servers: n }];
  const consistent = (n: number): ScopeView => ({ ...view("consistent", ["2.10.27"], []), affected: affected(n) });
  const { events, record } = run([
    [1, consistent(3)], // first sight: remembered, not announced
    [2, consistent(3)], // a restart: the same
    [3, consistent(4)], // a fourth server joins on the affected version
    [4, consistent(4)],
    [5, consistent(3)], // one leaves: not news
    [6, consistent(4)], // and comes back: not news either (the record still says 4)
  ]);
  t.deepEqual(events, ["affected"]);
  t.deepEqual(record.affected, affected(4));
  const roundTrip = decodeMismatchRecord(new TextEncoder().encode(encodeMismatchRecord(record)));
  t.deepEqual(roundTrip?.affected, affected(4));
});

test("advisories: a version newly affected (a newer dataset) is announced; another transition carries it instead", (t) => {
  const clean: ScopeView = { ...view("consistent", ["2.15.1"], []), affected: [] };
  const dirty: ScopeView = { ...view("consistent", ["2.15.1"], []), affected: [{ version: "2.15.1", servers: 3 }] };
  t.deepEqual(run([[1, clean], [2, dirty]]).events, ["affected"]);
  const mixed: ScopeView = { ...view("rolling-upgrade", ["2.15.1", "2.9.10"], ["a"], 1), affected: [{ version: "2.9.10", servers: 1 }] };
  const r = run([[1, clean], [2, mixed]]);
  t.deepEqual(r.events, ["detected"], "the detected event says it (affected_versions), no second event");
  t.deepEqual(r.record.affected, [{ version: "2.9.10", servers: 1 }]);
  // A record from before this field knew nothing affected: what is affected now is news, once.
  const old = run([[1, view("consistent", ["2.15.1"], [])]]).record;
  t.deepEqual(run([[2, dirty], [3, dirty]], old).events, ["affected"]);
});

const bytes = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const stored: MismatchRecord = { scope: "cluster:east", state: "stalled", target: "2.11.0", versions: ["2.11.0", "2.10.0"], outliers: ["c"], since: 3, seq: 2, epoch: 1, updatedAt: 9 };

test("a stored record is written with its schema; each field of one read back is checked", (t) => {
  t.deepEqual(JSON.parse(encodeMismatchRecord(stored)), { schema: 2, ...stored });
  t.deepEqual(decodeMismatchRecord(bytes({ schema: 2, ...stored })), stored);
  const good = { schema: 2, ...stored };
  const { since: _, ...unsettled } = stored;
  t.deepEqual(decodeMismatchRecord(bytes({ ...good, target: null, since: undefined })), { ...unsettled, target: null });
  t.deepEqual(decodeMismatchRecord(bytes({ ...good, affected: [{ version: "2.10.0", servers: 1 }] }))?.affected, [{ version: "2.10.0", servers: 1 }]);
  for (const [what, bad] of [
    ["a scope that is not a string", { ...good, scope: 5 }],
    ["no state", { ...good, state: undefined }],
    ["a target that is neither a string nor null", { ...good, target: 2 }],
    ["versions not a list", { ...good, versions: "2.11.0" }],
    ["versions not all strings", { ...good, versions: ["2.11.0", 2] }],
    ["outliers not a list", { ...good, outliers: {} }],
    ["outliers not all strings", { ...good, outliers: [null] }],
    ["a since that is not a number", { ...good, since: "3" }],
    ["a null since", { ...good, since: null }],
    ["affected not a list", { ...good, affected: { version: "2.10.0", servers: 1 } }],
    ["an affected entry not an object", { ...good, affected: ["2.10.0"] }],
    ["an affected entry without a version", { ...good, affected: [{ servers: 1 }] }],
    ["an affected entry without servers", { ...good, affected: [{ version: "2.10.0" }] }],
    ["no seq", { ...good, seq: undefined }],
    ["a seq that is not a number", { ...good, seq: "2" }],
    ["no updatedAt", { ...good, updatedAt: undefined }],
    ["no epoch", { ...good, epoch: undefined }],
    ["an event that is not one", { ...good, event: { id: "x" } }],
  ] as const) {
    t.is(decodeMismatchRecord(bytes(bad)), undefined, what);
  }
  t.is(decodeMismatchRecord(bytes({ ...good, schema: 1, state: "stalled", seq: "x" })), undefined, "schema 1 is checked too");
});

test("a schema 1 record is checked like a current one before it is converted", (t) => {
  const v1 = { schema: 1, scope: "system", state: "stalled", target: "2.10.0", versions: ["2.10.0", "2.9.0"], outliers: ["a"], since: 3, seq: 4, updatedAt: 9, eventId: "system.3.4" };
  t.deepEqual(decodeMismatchRecord(bytes(v1)), { scope: "system", state: "stalled", target: "2.10.0", versions: ["2.10.0", "2.9.0"], outliers: ["a"], since: 3, seq: 4, updatedAt: 9, epoch: 9 });
  t.is(decodeMismatchRecord(bytes({ ...v1, scope: null })), undefined);
  t.is(decodeMismatchRecord(bytes({ ...v1, updatedAt: "9" })), undefined);
});

test("scopes: the system, or cluster:<name>; the cluster of a scope", (t) => {
  t.is(SYSTEM_SCOPE, "system");
  t.is(clusterScope("east"), "cluster:east");
  t.is(clusterOfScope("cluster:east"), "east");
  t.is(clusterOfScope("cluster:"), "");
  t.is(clusterOfScope("system"), undefined);
  t.is(clusterOfScope("xcluster:east"), undefined);
});

test("an event read back from the stream: the fields delivery relies on are checked", (t) => {
  const event = { id: "cluster:east.0.1", seq: 1, type: "detected", scope: "cluster:east", extra: [1] };
  t.deepEqual(decodeMismatchEvent(bytes(event)), event as unknown as MismatchEvent);
  t.is(decodeMismatchEvent(bytes("{not json")), undefined);
  t.is(decodeMismatchEvent(bytes("null")), undefined);
  t.is(decodeMismatchEvent(bytes([event])), undefined);
  for (const field of ["id", "type", "scope", "seq"] as const) {
    t.is(decodeMismatchEvent(bytes({ ...event, [field]: undefined })), undefined, `without ${field}`);
  }
  t.is(decodeMismatchEvent(bytes({ ...event, id: 1 })), undefined);
  t.is(decodeMismatchEvent(bytes({ ...event, type: 1 })), undefined);
  t.is(decodeMismatchEvent(bytes({ ...event, scope: 1 })), undefined);
  t.is(decodeMismatchEvent(bytes({ ...event, seq: "1" })), undefined);
  t.false(isMismatchEvent({ ...event, seq: Number.POSITIVE_INFINITY }), "a seq must be finite");
  t.false(isMismatchEvent({ ...event, seq: Number.NaN }));
  t.true(isMismatchEvent(event));
});

test("the record an event was the transition of, rebuilt from the event alone", (t) => {
  const event = {
    id: "cluster:east.7.5",
    seq: 5,
    type: "changed",
    scope: "cluster:east",
    cluster: "east",
    state: "rolling-upgrade",
    previous_state: "stalled",
    at: "2026-01-01T00:00:10.000Z",
    since: "2026-01-01T00:00:01.000Z",
    mismatch_seconds: 9,
    target: "2.11.0",
    versions: [{ version: "2.11.0", count: 2 }, { version: "2.10.0", count: 2 }],
    gap: "patch",
    outliers: [
      { name: "d", cluster: "east", version: "2.10.0", gap: "minor", direction: "older" },
      { name: "b", cluster: "east", version: "2.10.0", gap: "minor", direction: "older" },
    ],
    outliers_omitted: 0,
    reasons: [],
    action: "",
    affected_versions: [{ version: "2.10.0", servers: 2, advisories: 1, ids: ["CVE-1"], worst_severity: "high" }],
  } as unknown as MismatchEvent;
  t.deepEqual(recordFromEvent(event), {
    scope: "cluster:east",
    state: "rolling-upgrade",
    target: "2.11.0",
    versions: ["2.11.0", "2.10.0"],
    outliers: ["b", "d"],
    affected: [{ version: "2.10.0", servers: 2 }],
    since: Date.parse("2026-01-01T00:00:01.000Z"),
    seq: 5,
    epoch: 7,
    updatedAt: Date.parse("2026-01-01T00:00:10.000Z"),
    event,
  });
  const { affected_versions: _, ...older } = event;
  const rebuilt = recordFromEvent({ ...older, since: null } as MismatchEvent);
  t.false("affected" in rebuilt, "an event from before affected_versions says nothing about them");
  t.false("since" in rebuilt);
  t.false("since" in recordFromEvent({ ...event, since: "not a time" }), "an unreadable since is left out");
});

test("changes worth an event: another version set or other outliers, even of the same length; the same view again is none", (t) => {
  const prev = run([[0, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["b", "c"], 0)]]).record;
  t.is(nextTransition(prev, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["b", "c"], 0), 10), undefined);
  t.is(nextTransition(prev, view("rolling-upgrade", ["2.11.0", "2.10.1"], ["b", "c"], 0), 10)?.event?.type, "changed");
  t.is(nextTransition(prev, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["b", "d"], 0), 10)?.event?.type, "changed");
  t.is(nextTransition(prev, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["b"], 0), 10)?.event?.type, "changed");
  t.is(nextTransition(prev, view("rolling-upgrade", ["2.11.0"], ["b", "c"], 0), 10)?.event?.type, "changed");
  const stale = run([[0, view("stale", ["2.11.0", "2.10.0"], ["c"], 0)]]).record;
  t.is(nextTransition(stale, view("stalled", ["2.11.0", "2.10.0"], ["c"], 0), 10)?.event?.type, "stalled", "stale back to stalled (a longer policy)");
  t.is(nextTransition(stale, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["c"], 0), 10)?.event?.type, "changed");
  const rolling = run([[0, view("rolling-upgrade", ["2.11.0", "2.10.0"], ["c"], 0)]]).record;
  t.is(nextTransition(rolling, view("stale", ["2.11.0", "2.10.0"], ["c"], 0), 10)?.event?.type, "stale");
  const consistent = run([[0, view("consistent", ["2.11.0"], [])]]).record;
  t.is(nextTransition(consistent, view("consistent", ["2.12.0"], []), 10), undefined, "consistent on another version: nothing to announce");
});

test("the record of a transition: every field, the start from the view on first sight and now without one", (t) => {
  t.deepEqual(nextTransition(undefined, view("consistent", ["2.10.0"], []), 5, 3), {
    record: { scope: "cluster:east", state: "consistent", target: "2.10.0", versions: ["2.10.0"], outliers: [], seq: 3, epoch: 5, updatedAt: 5 },
  });
  t.deepEqual(nextTransition(undefined, view("stalled", ["2.11.0", "2.10.0"], ["c"], 2), 5), {
    record: { scope: "cluster:east", state: "stalled", target: "2.11.0", versions: ["2.11.0", "2.10.0"], outliers: ["c"], since: 2, seq: 1, epoch: 5, updatedAt: 5 },
    event: { type: "detected", id: "cluster:east.5.1" },
  });
  t.is(nextTransition(undefined, view("stalled", ["2.11.0", "2.10.0"], ["c"]), 5)?.record.since, 5, "no start known: now");
  const resolved = nextTransition(run([[0, view("stalled", ["2.11.0", "2.10.0"], ["c"], 0)]]).record, view("consistent", ["2.11.0"], []), 9)!;
  t.false("since" in resolved.record);
  t.is(resolved.event?.type, "resolved");
});

test("event ids: the chain and the epoch are read back, also from scopes with dots", (t) => {
  t.is(mismatchEventId("cluster:eu.west", 7, 3), "cluster:eu.west.7.3");
  t.is(eventChain("cluster:eu.west.7.3"), "cluster:eu.west.7");
  t.is(eventEpoch("cluster:eu.west.7.3"), 7);
  t.is(eventEpoch("system.1700000000000.12"), 1_700_000_000_000);
});

test("affectedGrew: a new affected version or more servers on one; fewer, the same or none is not growth", (t) => {
  const a = (version: string, servers: number) => ({ version, servers });
  t.true(affectedGrew(undefined, [a("2.10.0", 1)]));
  t.true(affectedGrew([a("2.10.0", 2)], [a("2.10.0", 2), a("2.9.0", 1)]));
  t.true(affectedGrew([a("2.10.0", 2)], [a("2.10.0", 3)]));
  t.false(affectedGrew([a("2.10.0", 2)], [a("2.10.0", 2)]));
  t.false(affectedGrew([a("2.10.0", 2), a("2.9.0", 1)], [a("2.10.0", 1)]));
  t.false(affectedGrew([a("2.10.0", 2)], undefined));
  t.false(affectedGrew(undefined, undefined));
});
