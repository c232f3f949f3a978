import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import { ObservationKind } from "../../src/core/observation.js";
import { PingRounds } from "../../src/core/ping-rounds.js";
import { advertisementIntervalMs, clustersToProbe, ReachabilityTiming, unreachableServers } from "../../src/core/reachability.js";
import { buildReport } from "../../src/core/version-report.js";
import { assessVisibility } from "../../src/core/visibility.js";
import { observation } from "../helpers/observations.js";

const T0 = 1_000_000;
const { answerGraceMs, reprobeMs } = ReachabilityTiming;

/** a, b, c in cluster c1, fully routed, all heard at `at`. */
function cluster(at: number, version = "2.10.27"): Fleet {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  const all = ["a", "b", "c"];
  for (const n of all) f.observe(observation(n, version, { statsz: { routes: all.filter((o) => o !== n), gateways: [], connections: 0, jetstream: true } }), at);
  return f;
}

/** A STATSZ of `name` listing `routes`, at `at`. */
function advertise(f: Fleet, name: string, routes: string[], at: number, version = "2.10.27"): void {
  f.observe(observation(name, version, { statsz: { routes, gateways: [], connections: 0, jetstream: true } }), at);
}

test("advertisement intervals follow the server: 30 s before 2.10, 10 s since", (t) => {
  t.is(advertisementIntervalMs("2.9.10"), 30_000);
  t.is(advertisementIntervalMs("2.10.0"), 10_000);
  t.is(advertisementIntervalMs("2.15.1"), 10_000);
  t.is(advertisementIntervalMs("2.11.0-RC.1"), 10_000);
});

test("a quiet, fully routed cluster is not probed; an overdue server gets its cluster probed", (t) => {
  const f = cluster(T0);
  t.deepEqual(clustersToProbe(f, T0 + 5_000), []);
  advertise(f, "a", ["b", "c"], T0 + 10_000);
  advertise(f, "b", ["a", "c"], T0 + 10_000);
  t.deepEqual(clustersToProbe(f, T0 + 11_000), [], "c is 11 s quiet, within 10 s + slack");
  t.deepEqual(clustersToProbe(f, T0 + 12_000), ["c1"]);
});

test("a 2.9 server 15 s quiet is not overdue (it advertises every 30 s)", (t) => {
  const f = cluster(T0, "2.9.10");
  t.deepEqual(clustersToProbe(f, T0 + 15_000), []);
  t.deepEqual(clustersToProbe(f, T0 + 32_000), ["c1"]);
});

test("a cluster found quiet is checked again when a peer that never listed a server is heard after it, with the same routes", (t) => {
  // a lists only b; c was heard after a, so nobody heard since c dropped it: quiet, for now.
  const f = new Fleet({ offlineAfterMs: 120_000 });
  advertise(f, "a", ["b"], T0);
  advertise(f, "b", ["a", "c"], T0 + 100);
  advertise(f, "c", ["a", "b"], T0 + 200);
  t.deepEqual(clustersToProbe(f, T0 + 300), []);
  // a again, its routes unchanged (no new digest): heard after c, and it does not list c.
  advertise(f, "a", ["b"], T0 + 400);
  t.deepEqual(clustersToProbe(f, T0 + 500), ["c1"]);
});

test("a quiet cluster is checked again as soon as its earliest member is due, whoever was checked in between", (t) => {
  const f = cluster(T0);
  for (let at = T0 + 1_000; at <= T0 + 11_000; at += 500) t.deepEqual(clustersToProbe(f, at), [], `at +${at - T0} ms`);
  advertise(f, "a", ["b", "c"], T0 + 11_000);
  advertise(f, "b", ["a", "c"], T0 + 11_000);
  t.deepEqual(clustersToProbe(f, T0 + 11_001), ["c1"], "c is due 10 s + slack after it was heard");
});

test("a peer that stops listing a server gets the cluster probed at once", (t) => {
  const f = cluster(T0);
  advertise(f, "a", ["b"], T0 + 2_000);
  t.deepEqual(clustersToProbe(f, T0 + 2_000), ["c1"]);
});

test("killed servers: unreachable once a probe went unanswered and the survivor no longer routes to them", (t) => {
  const f = cluster(T0);
  advertise(f, "a", [], T0 + 3_000);
  f.noteProbe("c1", T0 + 3_000);
  t.is(unreachableServers(f, T0 + 3_000 + answerGraceMs - 1).size, 0, "answers may still be on their way");
  advertise(f, "a", [], T0 + 3_010); // a answers the probe
  const gone = unreachableServers(f, T0 + 3_000 + answerGraceMs);
  t.deepEqual([...gone.keys()].sort(), ["b", "c"]);
  t.is(gone.get("b"), T0, "since it was last heard");
  t.deepEqual(clustersToProbe(f, T0 + 3_000 + reprobeMs - 1), [], "probes are spaced");
  // A second probe must not hide them while its answers are pending.
  f.noteProbe("c1", T0 + 8_000);
  t.is(unreachableServers(f, T0 + 8_100).size, 2);
  // b comes back.
  advertise(f, "b", ["a"], T0 + 9_000);
  t.deepEqual([...unreachableServers(f, T0 + 9_000).keys()], ["c"]);
});

// Simulated fleets (and a partitioned real one) have whole clusters silent after a probe, listed by
// nobody: checking each silent server against every member's routes cost members², 98 ms of every
// report rendering at 10,000 servers in clusters of 500. One pass over the answering members' routes.
test("a large cluster whose members stay silent after a probe is judged in one pass, not members²", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  const size = 6_000;
  for (let i = 0; i < size; i++) advertise(f, `s${i}`, ["elsewhere"], T0);
  // A few answer; one of them still routes to s1.
  for (const n of ["s0", "s2", "s3"]) advertise(f, n, n === "s2" ? ["s1"] : ["elsewhere"], T0 + 3_010);
  f.noteProbe("c1", T0 + 3_000);
  const started = performance.now();
  const gone = unreachableServers(f, T0 + 3_000 + answerGraceMs);
  const ms = performance.now() - started;
  t.is(gone.size, size - 4, "all silent ones but s1, which a peer that answered still routes to");
  t.false(gone.has("s1"));
  // members² is 36 million route checks here (seconds); one pass takes a few milliseconds.
  t.log(`${ms.toFixed(1)} ms`);
  t.true(ms < 250, `${ms.toFixed(1)} ms`);
});

test("while the server refuses the monitor's pings, an unanswered probe proves nothing", (t) => {
  const f = cluster(T0);
  f.noteProbe("c1", T0 + 12_000);
  t.is(unreachableServers(f, T0 + 14_000).size, 3, "taken at its word, nobody answered");
  t.is(unreachableServers(f, T0 + 14_000, false).size, 0);
});

test("a silent server that its peers still route to is not unreachable, only not answering", (t) => {
  const f = cluster(T0);
  advertise(f, "a", ["b", "c"], T0 + 12_000);
  advertise(f, "b", ["a", "c"], T0 + 12_000);
  f.noteProbe("c1", T0 + 12_000);
  t.is(unreachableServers(f, T0 + 14_000).size, 0);
});

test("a lone server that stops answering is unreachable; a shut-down one is not (it said so)", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  f.observe(observation("solo", "2.10.27", { cluster: "", statsz: { routes: [], gateways: [], connections: 0, jetstream: true } }), T0);
  f.observe(observation("quit", "2.10.27", { cluster: "q", statsz: { routes: [], gateways: [], connections: 0, jetstream: true } }), T0);
  f.observe(observation("quit", "2.10.27", { cluster: "q", kind: "shutdown" }), T0 + 1);
  t.deepEqual(clustersToProbe(f, T0 + 12_000), [""]);
  f.noteProbe("", T0 + 12_000);
  t.deepEqual([...unreachableServers(f, T0 + 14_000).keys()], ["solo"]);
  t.is(unreachableServers(f, T0 + 200_000).size, 0, "past --offline-after it is offline, not unreachable");
});

test("the report shows unreachable servers, a warning, and what the last ping saw against what routes list", (t) => {
  const f = cluster(T0);
  const rounds = new PingRounds();
  const id = rounds.begin(T0 + 1_000);
  rounds.answered(id, "a");
  advertise(f, "a", ["d"], T0 + 1_010); // routes to d, a server the monitor never heard
  f.noteProbe("c1", T0 + 1_000);
  const now = T0 + 4_000;
  const unreachable = unreachableServers(f, now);
  const visibility = assessVisibility(f, rounds.last(now), unreachable, now);
  t.deepEqual(visibility.notAnswering, ["b", "c", "d"]);
  t.is(visibility.expectedServers, 4);
  const r = buildReport(f, now, {}, { visibility });
  t.is(r.server_count, 3, "still members, still on their versions");
  t.deepEqual(r.servers.map((s) => s.state), ["running", "unreachable", "unreachable"]);
  t.is(r.servers[1]!.unreachable_since, new Date(T0).toISOString());
  t.deepEqual(r.warnings.filter((w) => w.kind === "unreachable").map((w) => w.server), ["b", "c"]);
  t.deepEqual(r.visibility, {
    last_ping: { at: new Date(T0 + 1_000).toISOString(), answered: 1 },
    expected_servers: 4,
    expected_clusters: 1,
    not_answering: ["b", "c", "d"],
    not_answering_omitted: 0,
    unreachable: 2,
    unseen_clusters: [],
  });
});

test("a gateway to a cluster never heard from is a warning", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  f.observe(observation("e1", "2.10.27", { cluster: "east", statsz: { routes: [], gateways: ["west", "east"], connections: 0, jetstream: true } }), T0);
  const v = assessVisibility(f, undefined, new Map(), T0);
  t.deepEqual(v.unseenClusters, ["west"]);
  t.is(v.expectedClusters, 2);
  t.true(buildReport(f, T0, {}, { visibility: v }).warnings.some((w) => w.kind === "unseen-cluster" && w.detail.includes('"west"')));
});

test("a suspect cluster is probed again once the re-probe interval has passed, not before", (t) => {
  const f = cluster(T0);
  advertise(f, "a", ["b"], T0 + 1_000);
  t.deepEqual(clustersToProbe(f, T0 + 1_000), ["c1"]);
  f.noteProbe("c1", T0 + 1_000);
  t.deepEqual(clustersToProbe(f, T0 + 1_000 + reprobeMs - 1), []);
  t.deepEqual(clustersToProbe(f, T0 + 1_000 + reprobeMs), ["c1"], "c is still not back: ask again");
});

test("a peer's advertisement at the very moment a server was last heard is not news about it", (t) => {
  const f = cluster(T0);
  advertise(f, "a", ["b"], T0); // same instant as c's last advertisement
  t.deepEqual(clustersToProbe(f, T0 + 1), []);
});

test("a server heard at the very moment of the probe answered it; a cluster never probed has nobody unreachable", (t) => {
  const f = cluster(T0);
  t.is(unreachableServers(f, T0 + 60_000).size, 0, "no probe, no verdict");
  f.noteProbe("c1", T0);
  t.is(unreachableServers(f, T0 + answerGraceMs).size, 0, "everyone was heard at the probe's instant");
});

test("a lone server heard at the very instant of the probe is not unreachable", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  f.observe(observation("solo", "2.10.27", { cluster: "", statsz: { routes: [], gateways: [], connections: 0, jetstream: true } }), T0);
  f.noteProbe("", T0);
  t.is(unreachableServers(f, T0 + answerGraceMs).size, 0);
});

test("visibility: what is expected leaves out shut-down and quiet servers, and the routes of unreachable ones", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  const stats = (routes: string[], gateways: string[] = []) => ({ statsz: { routes, gateways, connections: 0, jetstream: true } });
  f.observe(observation("a", "2.10.27", stats(["b", "x"], ["west"])), T0);
  f.observe(observation("b", "2.10.27", stats(["a", "y"], ["north"])), T0);
  f.observe(observation("c", "2.10.27", { ...stats(["z"], ["south"]), cluster: "c2" }), T0);
  f.observe(observation("down", "2.10.27", { ...stats(["w"], ["east"]), cluster: "c3" }), T0 - 10);
  f.observe(observation("down", "2.10.27", { kind: ObservationKind.Shutdown, cluster: "c3" }), T0);
  f.observe(observation("quiet", "2.10.27", { ...stats(["v"]), cluster: "c4" }), T0 - 200_000);
  const v = assessVisibility(f, undefined, new Map([["b", T0 - 1]]), T0);
  t.is(v.expectedServers, 5, "a, b, c, and x and z that live servers route to; not b's route to y");
  t.is(v.expectedClusters, 4, "c1 and c2, and the gateways of a and c");
  t.deepEqual(v.unseenClusters, ["south", "west"]);
  t.is(v.lastPing, undefined);
  t.deepEqual(v.notAnswering, [], "no ping yet: nobody failed to answer");
});

test("visibility: not answering the last ping, unless heard from after it; the answers counted", (t) => {
  const f = cluster(T0);
  const rounds = new PingRounds();
  const id = rounds.begin(T0 + 1_000);
  rounds.answered(id, "a");
  advertise(f, "c", ["a", "b"], T0 + 1_001);
  advertise(f, "b", ["a", "c"], T0 + 1_000);
  const v = assessVisibility(f, rounds.last(T0 + 5_000), new Map(), T0 + 5_000);
  t.deepEqual(v.lastPing, { at: T0 + 1_000, answered: 1 });
  t.deepEqual(v.notAnswering, ["b"], "c was heard after the ping; b only at its instant");
});
