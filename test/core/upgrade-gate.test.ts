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

test("health texts: ok only with status ok and code 200 or none; failing assets listed, at most three", (t) => {
  const f = facts();
  const healthOf = (h: HealthAnswer) => judgeCluster({ ...f, health: new Map([...f.health, ["a", h]]) }, first).servers.find((s) => s.name === "a")!.health;
  t.is(healthOf({ status: "ok", errors: [] }), "ok");
  t.is(healthOf({ status: "unavailable", statusCode: 200, errors: [] }), "unavailable");
  t.is(healthOf({ status: "ok", statusCode: 503, errors: [] }), "ok (status code 503)", "an ok under another code is not ok");
  t.is(healthOf({ status: "unavailable", statusCode: 503, errors: [] }), "unavailable (status code 503)");
  const asset = (i: number) => ({ type: "CONSUMER", stream: `S${i}`, consumer: `C${i}`, error: "not current" });
  t.is(healthOf({ status: "error", errors: [asset(1), { type: "JETSTREAM" }] }), "error (CONSUMER S1 C1: not current; JETSTREAM)");
  t.is(healthOf({ status: "error", errors: [asset(1), asset(2), asset(3)] }), "error (CONSUMER S1 C1: not current; CONSUMER S2 C2: not current; CONSUMER S3 C3: not current)");
  t.is(healthOf({ status: "error", errors: [asset(1), asset(2), asset(3), asset(4), asset(5)] }), "error (CONSUMER S1 C1: not current; CONSUMER S2 C2: not current; CONSUMER S3 C3: not current and 2 more)");
  t.is(healthOf({ status: "error", error: "ignored when assets are listed", errors: [{ type: "STREAM", stream: "S" }] }), "error (STREAM S)");
  const health = new Map(f.health);
  health.delete("a");
  t.is(judgeCluster({ ...f, health }, first).servers.find((s) => s.name === "a")!.health, "no answer");
});

test("each reason's key, verdict and text, as an operator reads them", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  for (const n of ["a", "b", "c", "d", "e"]) f.observe(observation(n, "2.10.27"), NOW - 1000);
  f.observe(observation("a", "2.10.27", { kind: ObservationKind.LameDuck }), NOW - 500);
  f.observe(observation("b", "2.10.27", { kind: ObservationKind.Shutdown }), NOW - 400);
  const m = [...f.records()];
  const health = new Map(m.map((r) => [r.name, ok]));
  health.delete("e");
  const g = judgeCluster(facts({ members: m, health, offline: new Set(["d"]), unreachable: new Map([["c", NOW - 65_000]]), unknown: ["JSZ refused"] }), first);
  t.deepEqual(g.reasons.map(({ key, verdict, text }) => ({ key, verdict, text })), [
    { key: "unknown:JSZ refused", verdict: "blocked", text: "JSZ refused" },
    { key: "lame-duck:a", verdict: "wait", text: "a entered lame duck mode: wait until it has stopped, been upgraded and is back" },
    { key: "shut-down:b", verdict: "wait", text: "b is shut down: wait until it is back" },
    { key: "unreachable:c", verdict: "blocked", text: "c is unreachable (last heard 1m ago): bring it back, or remove it from the cluster, before taking another server down" },
    {
      key: "gone:d",
      verdict: "blocked",
      text: `d (2.10.27) has not been heard from since ${new Date(NOW - 1000).toISOString()}: bring it back, or remove it from the cluster (and the JetStream meta group: nats server raft peer-remove), before taking another server down`,
    },
    { key: "no-health:e", verdict: "wait", text: "e did not answer its health check (HEALTHZ) in time" },
  ]);
  t.is(g.verdict, Verdict.Blocked);
  t.deepEqual(g.servers.map((s) => [s.name, s.state]), [["a", "lame-duck"], ["b", "shut-down"], ["c", "unreachable"], ["d", "offline"], ["e", "running"]]);
  t.deepEqual(g.next, { server: "e", version: "2.10.27", why: "runs 2.10.27, older than 2.11.0; not the JetStream meta leader (b), which goes last" }, "the only running, reachable server behind the target");
});

test("the meta group: replicas that are not members are ignored, a lag of 0 is not stated", (t) => {
  const g = judgeCluster(facts({ meta: { leader: "b", replicas: [{ name: "other-cluster", current: false, offline: true }, { name: "a", current: false, offline: false, lag: 0 }] } }), first);
  t.deepEqual(g.reasons.map((r) => r.text), ["a is not current in the JetStream meta group"]);
});

test("clients: the count at the share, the grace period's edge, and only once the server that went down is running again", (t) => {
  const departure = { server: "a", at: NOW - 10_000, clientsBefore: 20 };
  t.deepEqual(judgeCluster(facts({ clients: 17, departure }), first).reasons.map((r) => r.text), [
    "clients have not reconnected yet since a went down: 17 of the 20 connections before (waiting for 90%, at most 5m)",
  ]);
  t.is(judgeCluster(facts({ clients: 18, departure }), first).verdict, Verdict.Ready);
  t.is(judgeCluster(facts({ clients: 0, departure: { ...departure, at: NOW - defaultGatePolicy.clientsGraceMs } }), first).verdict, Verdict.Ready, "exactly the grace period");
  t.is(judgeCluster(facts({ clients: 0, departure: { ...departure, at: NOW - defaultGatePolicy.clientsGraceMs + 1 } }), first).verdict, Verdict.Wait);
  t.is(judgeCluster(facts({ clients: 0, departure: { ...departure, server: "elsewhere" } }), first).verdict, Verdict.Ready, "a server not in the cluster");
  const f = new Fleet({ offlineAfterMs: 120_000 });
  for (const n of ["a", "b", "c"]) f.observe(observation(n, "2.10.27"), NOW - 1000);
  f.observe(observation("a", "2.10.27", { kind: ObservationKind.LameDuck }), NOW - 500);
  t.deepEqual(judgeCluster(facts({ members: [...f.records()], clients: 0, departure }), first).reasons.map((r) => r.key), ["lame-duck:a"], "still down: the lame duck is the reason, not clients");
  const policy = { ...defaultGatePolicy, clientsShare: 0.5 };
  t.is(judgeCluster(facts({ clients: 10, departure }), first, policy).verdict, Verdict.Ready);
  t.regex(judgeCluster(facts({ clients: 9, departure }), first, policy).reasons[0]!.text, /waiting for 50%/);
});

test("a wait becomes blocked only past the policy's limit", (t) => {
  const at = (age: number) => judgeCluster(facts({ meta: undefined }), (k) => (k === "settle" ? NOW - 60_000 : NOW - age));
  const edge = at(defaultGatePolicy.blockAfterMs);
  t.is(edge.verdict, Verdict.Wait);
  t.is(edge.reasons[0]!.text, "the JetStream meta group has no leader (or it did not answer)");
  const past = at(defaultGatePolicy.blockAfterMs + 60_000);
  t.is(past.reasons[0]!.text, "the JetStream meta group has no leader (or it did not answer) (for 11m, longer than 10m: look at it)");
  t.is(past.reasons[0]!.verdict, Verdict.Blocked);
  t.is(past.reasons[0]!.since, new Date(NOW - defaultGatePolicy.blockAfterMs - 60_000).toISOString());
});

test("next: the first behind by name, and why, with or without a meta leader", (t) => {
  const m = members({ d: "2.10.27", b: "2.10.26", c: "2.11.0", a: "2.11.0" });
  t.deepEqual(judgeCluster(facts({ members: m, meta: undefined, jetstream: false }), first).next, { server: "b", version: "2.10.26", why: "runs 2.10.26, older than 2.11.0" });
  t.deepEqual(judgeCluster(facts({ members: m, meta: { leader: "b", replicas: [] } }), first).next, {
    server: "d",
    version: "2.10.27",
    why: "runs 2.10.27, older than 2.11.0; not the JetStream meta leader (b), which goes last",
  });
  t.deepEqual(judgeCluster(facts({ members: members({ a: "2.11.0", b: "2.10.27" }), meta: { leader: "b", replicas: [] } }), first).next, {
    server: "b",
    version: "2.10.27",
    why: "the last server not on 2.11.0, and the JetStream meta leader (lame duck mode hands leadership over)",
  });
  const newer = judgeCluster(facts({ members: members({ a: "2.12.0", b: "2.11.0" }), target: "2.11.0" }), first);
  t.is(newer.next, null, "a server ahead of the target is not behind it");
});

test("no target: no next server and no path", (t) => {
  const g = judgeCluster(facts({ target: undefined }), first);
  t.is(g.target, null);
  t.is(g.next, null);
  t.deepEqual(g.path, []);
  t.is(g.cluster, "c1");
});

test("the settle hold: its text, and ready exactly at the settle time", (t) => {
  const g = judgeCluster(facts(), (k) => (k === "settle" ? NOW - 2_000 : NOW));
  t.deepEqual(g.reasons.map(({ key, verdict, text, since }) => ({ key, verdict, text, since })), [
    { key: "settle", verdict: "wait", text: "every check passed 2s ago; holding 3s to see that it stays so", since: new Date(NOW - 2_000).toISOString() },
  ]);
  t.is(judgeCluster(facts(), (k) => (k === "settle" ? NOW - 2_999 : NOW)).verdict, Verdict.Wait);
});

test("an \"ok\" status under a status code other than 200 holds the gate", (t) => {
  const f = facts();
  const g = judgeCluster({ ...f, health: new Map([...f.health, ["a", { status: "ok", statusCode: 503, errors: [] }]]) }, first);
  t.is(g.verdict, Verdict.Wait);
  t.true(g.reasons.some((r) => r.key === "unhealthy:a" && r.text === "a is not healthy yet: ok (status code 503)"), JSON.stringify(g.reasons));
});
