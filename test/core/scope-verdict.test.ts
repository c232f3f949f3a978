import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import { defaultMismatchPolicy } from "../../src/core/mismatch-policy.js";
import { buildMismatchEvent, MAX_EVENT_OUTLIERS, type AffectedVersion } from "../../src/core/mismatch-event.js";
import type { MismatchRecord } from "../../src/core/mismatch-record.js";
import { judgeScopes } from "../../src/core/scope-verdict.js";
import { observation } from "../helpers/observations.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = 1_000 * HOUR;

/** Cluster east: 3 on 2.11.0, 1 on 2.10.27; cluster west: 2 on 2.11.0. All started 10 h before T0. */
function fleet(): Fleet {
  const f = new Fleet({ offlineAfterMs: 100 * HOUR });
  const spec: [string, string, string][] = [["e1", "east", "2.11.0"], ["e2", "east", "2.11.0"], ["e3", "east", "2.11.0"], ["e4", "east", "2.10.27"], ["w1", "west", "2.11.0"], ["w2", "west", "2.11.0"]];
  for (const [name, cluster, version] of spec) f.observe(observation(name, version, { cluster, startedAt: T0 - 10 * HOUR }), T0 - HOUR);
  return f;
}

const affected: AffectedVersion = { version: "2.10.27", servers: 1, advisories: 2, ids: ["CVE-1", "CVE-2"], worst_severity: "high" };

test("judgeScopes: the system first, then each cluster by name, with member counts, views and statements", (t) => {
  const verdicts = judgeScopes(fleet(), T0, defaultMismatchPolicy, (scope) => (scope === "system" ? T0 - 2 * HOUR : undefined), (members) => (members.some((m) => m.version === "2.10.27") ? [affected] : []));
  t.deepEqual(verdicts.map((v) => [v.scope, v.members]), [["system", 6], ["cluster:east", 4], ["cluster:west", 2]]);
  const [system, east, west] = verdicts;
  t.deepEqual(system!.view, {
    scope: "system",
    state: "stalled",
    target: "2.11.0",
    versions: ["2.11.0", "2.10.27"],
    outliers: ["e4"],
    since: T0 - 2 * HOUR,
    affected: [{ version: "2.10.27", servers: 1 }],
  });
  t.deepEqual(system!.affected, [affected]);
  t.is(system!.statement.scope, "system");
  t.is(system!.statement.cluster, null);
  t.is(system!.statement.state, "stalled");
  t.deepEqual(system!.statement.versions, [{ version: "2.11.0", count: 5 }, { version: "2.10.27", count: 1 }]);
  t.is(system!.statement.gap, "minor");
  t.deepEqual(system!.statement.outliers, [{ name: "e4", cluster: "east", version: "2.10.27", gap: "minor", direction: "older", cause: "forgotten-server" }]);
  t.is(system!.statement.outliers_omitted, 0);
  t.regex(system!.statement.action, /upgrade 1 outlier server\(s\) to 2\.11\.0 \(e4\)/);
  t.is(east!.statement.cluster, "east");
  t.is(east!.view.since, T0 - 10 * HOUR, "no durable start: estimated from the youngest group's start");
  t.deepEqual(west!.view, { scope: "cluster:west", state: "consistent", target: "2.11.0", versions: ["2.11.0"], outliers: [], since: undefined, affected: [] });
  t.deepEqual(west!.affected, []);
});

test("an event states outliers in full up to its bound, and counts the rest", (t) => {
  const f = new Fleet({ offlineAfterMs: 100 * HOUR });
  const n = 2 * MAX_EVENT_OUTLIERS + 5;
  for (let i = 0; i < 2 * n; i++) f.observe(observation(`s${String(i).padStart(4, "0")}`, i < n ? "2.10.27" : "2.11.0", { startedAt: T0 - 10 * HOUR }), T0);
  f.observe(observation("z", "2.11.0", { startedAt: T0 - 10 * HOUR }), T0);
  const [system] = judgeScopes(f, T0, defaultMismatchPolicy, () => undefined);
  t.is(system!.statement.outliers.length, MAX_EVENT_OUTLIERS);
  t.is(system!.statement.outliers_omitted, n - MAX_EVENT_OUTLIERS);
  t.is(system!.view.outliers.length, n, "the view names every outlier: transitions compare all of them");
});

test("buildMismatchEvent: the statement, the transition, and since from the record or the one before", (t) => {
  const [system] = judgeScopes(fleet(), T0, defaultMismatchPolicy, () => undefined, () => [affected]);
  const record: MismatchRecord = { scope: "system", state: "stalled", target: "2.11.0", versions: ["2.11.0", "2.10.27"], outliers: ["e4"], since: T0 - 90_500, seq: 3, epoch: 1, updatedAt: T0 };
  const previous: MismatchRecord = { ...record, state: "rolling-upgrade", since: T0 - 5 * HOUR, seq: 2 };
  const e = buildMismatchEvent({ type: "stale", id: "x-3" }, system!.statement, record, previous, T0, system!.affected);
  t.like(e, { id: "x-3", seq: 3, type: "stale", scope: "system", cluster: null, state: "stalled", previous_state: "rolling-upgrade", at: new Date(T0).toISOString() });
  t.is(e.since, new Date(T0 - 90_500).toISOString());
  t.is(e.mismatch_seconds, 90, "whole seconds, rounded down");
  t.deepEqual(e.affected_versions, [affected]);
  t.deepEqual(e.outliers, system!.statement.outliers);
  const { since: _, ...noSince } = record;
  const fromPrevious = buildMismatchEvent({ type: "stale", id: "x-3" }, system!.statement, noSince, previous, T0);
  t.is(fromPrevious.since, new Date(T0 - 5 * HOUR).toISOString(), "since of the record before when the record has none");
  t.is(fromPrevious.mismatch_seconds, 5 * 3600);
  t.deepEqual(fromPrevious.affected_versions, []);
  const first = buildMismatchEvent({ type: "detected", id: "x-1" }, system!.statement, { ...noSince, seq: 1 }, undefined, T0);
  t.is(first.previous_state, null);
  t.is(first.since, null);
  t.is(first.mismatch_seconds, null);
});

test("scopes are made of the servers heard lately, clusters in name order, a view's outliers sorted by name", (t) => {
  const f = new Fleet({ offlineAfterMs: HOUR });
  const spec: [string, string, string][] = [["z1", "zeta", "2.11.0"], ["a2", "alpha", "2.11.0"], ["a3", "alpha", "2.11.0"], ["a4", "alpha", "2.11.0"], ["b", "alpha", "2.9.0"], ["a", "alpha", "2.10.27"], ["m1", "mid", "2.11.0"]];
  for (const [name, cluster, version] of spec) f.observe(observation(name, version, { cluster, startedAt: T0 - 10 * HOUR }), T0 - MIN);
  f.observe(observation("quiet", "2.8.0", { cluster: "omega", startedAt: T0 - 10 * HOUR }), T0 - 2 * HOUR);
  const verdicts = judgeScopes(f, T0, defaultMismatchPolicy, () => undefined);
  t.deepEqual(verdicts.map((v) => [v.scope, v.members]), [["system", 7], ["cluster:alpha", 5], ["cluster:mid", 1], ["cluster:zeta", 1]]);
  const alpha = verdicts[1]!;
  t.deepEqual(alpha.statement.outliers.map((o) => o.name), ["b", "a"], "the statement: oldest version first");
  t.deepEqual(alpha.view.outliers, ["a", "b"]);
  t.deepEqual(verdicts[0]!.view.versions, ["2.11.0", "2.10.27", "2.9.0"]);
});
