import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import { ObservationKind } from "../../src/core/observation.js";
import type { ServerRecord } from "../../src/core/server-record.js";
import { defaultGatePolicy, judgeCluster, Verdict, type GateFacts, type HealthAnswer } from "../../src/core/upgrade-gate.js";
import { observation } from "../helpers/observations.js";

const NOW = 10_000_000;
const ok: HealthAnswer = { status: "ok", statusCode: 200, errors: [] };

function members(versions: Record<string, string>, now = NOW - 1000): ServerRecord[] {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  for (const [name, v] of Object.entries(versions)) f.observe(observation(name, v), now);
  return [...f.records()];
}

function facts(over: Partial<GateFacts> = {}): GateFacts {
  const m = over.members ?? members({ a: "2.10.27", b: "2.10.27", c: "2.11.0" });
  return {
    cluster: "c1",
    members: m,
    unreachable: new Map(),
    offline: new Set(),
    health: new Map(m.map((r) => [r.name, ok])),
    jetstream: true,
    meta: { leader: "b", replicas: m.map((r) => ({ name: r.name, current: true, offline: false })) },
    clients: 10,
    target: "2.11.0",
    unknown: [],
    now: NOW,
    ...over,
  };
}

/** Every condition first seen now; nothing-holds-the-gate ("settle") long ago. */
const first = (key: string) => (key === "settle" ? NOW - 60_000 : NOW);

test("all healthy and current: ready, next is a server behind that is not the meta leader, path given", (t) => {
  const g = judgeCluster(facts(), first);
  t.is(g.verdict, Verdict.Ready);
  t.deepEqual(g.reasons, []);
  t.is(g.next?.server, "a");
  t.regex(g.next!.why, /not the JetStream meta leader \(b\)/);
  t.deepEqual(g.path, ["2.11.0"]);
});

test("the meta leader goes last", (t) => {
  const g = judgeCluster(facts({ members: members({ a: "2.11.0", b: "2.10.27", c: "2.11.0" }) }), first);
  t.is(g.next?.server, "b");
  t.regex(g.next!.why, /meta leader/);
});

test("every server on the target: ready, nothing next", (t) => {
  const g = judgeCluster(facts({ members: members({ a: "2.11.0", b: "2.11.0", c: "2.11.0" }) }), first);
  t.is(g.verdict, Verdict.Ready);
  t.is(g.next, null);
  t.deepEqual(g.path, []);
});

test("a stream replica catching up: wait, naming the stream, since when it was first seen", (t) => {
  const catching: HealthAnswer = { status: "error", statusCode: 503, errors: [{ type: "STREAM", account: "APP", stream: "ORDERS", error: "stream not current" }] };
  const f = facts();
  const g = judgeCluster({ ...f, health: new Map([...f.health, ["c", catching]]) }, (k) => (k === "settle" ? NOW : NOW - 5000));
  t.is(g.verdict, Verdict.Wait);
  t.is(g.reasons.length, 1);
  t.regex(g.reasons[0]!.text, /c is not healthy yet: error \(STREAM ORDERS: stream not current\)/);
  t.is(g.reasons[0]!.since, new Date(NOW - 5000).toISOString());
});

test("a 2.9 answer without details still names its failing check", (t) => {
  const f = facts();
  const g = judgeCluster({ ...f, health: new Map([...f.health, ["a", { status: "unavailable", error: "JetStream is not current with the meta leader", errors: [] }]]) }, first);
  t.regex(g.reasons[0]!.text, /unavailable \(JetStream is not current with the meta leader\)/);
});

test("no answer, no meta leader, a peer not current: each a reason to wait", (t) => {
  const f = facts();
  const health = new Map(f.health);
  health.delete("b");
  let g = judgeCluster({ ...f, health }, first);
  t.deepEqual(g.reasons.map((r) => r.key), ["no-health:b"]);
  g = judgeCluster({ ...f, meta: undefined }, first);
  t.deepEqual(g.reasons.map((r) => r.key), ["meta:leader"]);
  g = judgeCluster({ ...f, meta: { leader: "b", replicas: [{ name: "a", current: false, offline: false, lag: 42 }, { name: "c", current: true, offline: true }] } }, first);
  t.deepEqual(g.reasons.map((r) => r.text), ["a is not current in the JetStream meta group (lag 42)", "the JetStream meta group sees c offline"]);
  t.is(judgeCluster({ ...f, jetstream: false, meta: undefined }, first).verdict, Verdict.Ready, "no JetStream, no meta group to wait for");
});

test("lame duck and shut down: wait; unreachable and gone: blocked", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  for (const n of ["a", "b", "c", "d"]) f.observe(observation(n, "2.10.27"), NOW - 1000);
  f.observe(observation("a", "2.10.27", { kind: ObservationKind.LameDuck }), NOW - 500);
  f.observe(observation("b", "2.10.27", { kind: ObservationKind.Shutdown }), NOW - 400);
  const m = [...f.records()];
  let g = judgeCluster(facts({ members: m }), first);
  t.is(g.verdict, Verdict.Wait);
  t.deepEqual(g.reasons.map((r) => r.key), ["lame-duck:a", "shut-down:b"]);
  g = judgeCluster(facts({ members: m, unreachable: new Map([["c", NOW - 9000]]) }), first);
  t.is(g.verdict, Verdict.Blocked);
  t.regex(g.reasons.find((r) => r.key === "unreachable:c")!.text, /c is unreachable \(last heard 9s ago\)/);
  g = judgeCluster(facts({ members: m, offline: new Set(["d"]) }), first);
  t.is(g.verdict, Verdict.Blocked);
  t.is(g.servers.find((s) => s.name === "d")?.state, "offline");
  t.is(g.next?.server, "c", "the plan for when the gate opens: the one running server left behind");
});

test("a wait that lasts longer than the policy needs a person", (t) => {
  const f = facts({ meta: undefined });
  const g = judgeCluster(f, (k) => (k === "settle" ? NOW - 60_000 : NOW - defaultGatePolicy.blockAfterMs - 1));
  t.is(g.verdict, Verdict.Blocked);
  t.regex(g.reasons[0]!.text, /longer than 10m: look at it/);
});

test("clients: wait until most are back, but not forever", (t) => {
  const f = facts({ clients: 5, departure: { server: "a", at: NOW - 10_000, clientsBefore: 20 } });
  let g = judgeCluster(f, first);
  t.deepEqual(g.reasons.map((r) => r.key), ["clients:a"]);
  t.regex(g.reasons[0]!.text, /5 of the 20 connections/);
  t.is(judgeCluster({ ...f, clients: 18 }, first).verdict, Verdict.Ready, "90% is enough");
  g = judgeCluster({ ...f, departure: { server: "a", at: NOW - defaultGatePolicy.clientsGraceMs - 1, clientsBefore: 20 } }, first);
  t.is(g.verdict, Verdict.Ready, "after the grace period clients no longer hold the gate");
});

test("facts the monitor could not get block the gate", (t) => {
  const g = judgeCluster(facts({ unknown: ["the monitor may not send $SYS.REQ.SERVER.PING.HEALTHZ"] }), first);
  t.is(g.verdict, Verdict.Blocked);
});

test("the path runs from the cluster's oldest member", (t) => {
  const g = judgeCluster(facts({ members: members({ a: "2.9.10", b: "2.15.1", c: "2.15.1" }), target: "2.15.1" }), first);
  t.deepEqual(g.path, ["2.10.29", "2.11.17", "2.12.15", "2.14.5", "2.15.1"]);
});

test("the gate opens only once every check has passed for the settle time", (t) => {
  let g = judgeCluster(facts(), () => NOW - 1000);
  t.is(g.verdict, Verdict.Wait);
  t.deepEqual(g.reasons.map((r) => r.key), ["settle"]);
  t.regex(g.reasons[0]!.text, /every check passed 1s ago; holding 3s/);
  g = judgeCluster(facts(), () => NOW - defaultGatePolicy.settleMs);
  t.is(g.verdict, Verdict.Ready);
  const asked: string[] = [];
  judgeCluster(facts({ meta: undefined }), (k) => (asked.push(k), NOW));
  t.false(asked.includes("settle"), "while something holds the gate, the settle clock is not running");
});
