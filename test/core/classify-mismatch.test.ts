import test from "ava";
import { classifyMismatch, estimateMismatchStart } from "../../src/core/classify-mismatch.js";
import { Fleet } from "../../src/core/fleet.js";
import { defaultMismatchPolicy } from "../../src/core/mismatch-policy.js";
import { ObservationKind } from "../../src/core/observation.js";
import type { ServerRecord } from "../../src/core/server-record.js";
import { summarizeVersions } from "../../src/core/version-summary.js";
import { observation } from "../helpers/observations.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = 1_000 * HOUR; // an arbitrary "now" base

/** A fleet built from [name, version, started minutes before T0] at time T0 (unless `at`). */
function fleet(spec: [string, string, number, string?][], at = T0): Fleet {
  const f = new Fleet({ offlineAfterMs: 100 * HOUR });
  for (const [name, version, startedAgo, domain] of spec) {
    f.observe(observation(name, version, { id: `${name}-${version}`, startedAt: at - startedAgo * MIN, ...(domain ? { domain } : {}) }), at);
  }
  return f;
}

function classify(f: Fleet, now: number, since?: number) {
  const members: ServerRecord[] = [...f.records()];
  return classifyMismatch(members, summarizeVersions(members), since, now, defaultMismatchPolicy);
}

test("one version: consistent, nothing to do", (t) => {
  const c = classify(fleet([["a", "2.10.27", 600], ["b", "2.10.27", 600]]), T0);
  t.is(c.state, "consistent");
  t.is(c.since, undefined);
  t.is(c.action, "none");
});

test("the newer version restarted minutes ago: rolling upgrade, the leader is upgrade-in-progress", (t) => {
  const c = classify(fleet([["a", "2.10.27", 600], ["b", "2.10.27", 600], ["c", "2.11.0", 3]]), T0);
  t.is(c.state, "rolling-upgrade");
  t.is(c.since, T0 - 3 * MIN, "estimated from the start of the newest group");
  t.regex(c.reasons.join("\n"), /c restarted on 2\.11\.0 3m ago/);
  t.regex(c.action, /finish the rolling upgrade to 2\.11\.0: 2 server\(s\) left/);
  t.is(c.causes.get("c")?.cause, "upgrade-in-progress");
});

test("majority upgraded recently, one old server with long uptime: incomplete upgrade", (t) => {
  const c = classify(fleet([["a", "2.11.0", 20], ["b", "2.11.0", 10], ["c", "2.10.27", 6000]]), T0);
  t.is(c.state, "rolling-upgrade");
  t.is(c.causes.get("c")?.cause, "incomplete-upgrade");
  t.regex(c.causes.get("c")!.detail, /peers were upgraded recently/);
});

test("no activity for longer than the activity window: stalled, upgrade the outliers", (t) => {
  const f = fleet([["a", "2.11.0", 200], ["b", "2.11.0", 190], ["c", "2.10.27", 6000]]);
  const c = classify(f, T0, T0 - 200 * MIN);
  t.is(c.state, "stalled");
  t.regex(c.reasons.join("\n"), /nothing has happened since b restarted on 2\.11\.0 3h10m ago/);
  t.regex(c.action, /^upgrade 1 outlier server\(s\) to 2\.11\.0 \(c\)/);
  t.is(c.causes.get("c")?.cause, "forgotten-server");
});

test("older than the policy: stale, whatever else is happening", (t) => {
  const f = fleet([["a", "2.11.0", 1], ["b", "2.10.27", 6000], ["c", "2.10.27", 6000]]);
  const c = classify(f, T0, T0 - 25 * HOUR);
  t.is(c.state, "stale");
  t.regex(c.reasons.join("\n"), /longer than the policy's 1d/);
  t.is(c.since, T0 - 25 * HOUR, "the durable start wins over the estimate");
});

test("a long-standing mismatch seen for the first time is estimated old enough to be stale", (t) => {
  // Two servers upgraded 30 days ago, one never: forgotten.
  const c = classify(fleet([["a", "2.11.0", 30 * 24 * 60], ["b", "2.11.0", 30 * 24 * 60], ["c", "2.10.27", 90 * 24 * 60]]), T0);
  t.is(c.state, "stale");
  t.is(c.since, T0 - 30 * 24 * HOUR);
});

test("a downgrade in history is a rollback, and the action says so", (t) => {
  const f = fleet([["a", "2.11.0", 300], ["b", "2.11.0", 300], ["c", "2.11.0", 300]], T0 - 10 * MIN);
  f.observe(observation("c", "2.10.27", { id: "c-back", startedAt: T0 - MIN }), T0);
  const c = classify(f, T0);
  t.is(c.causes.get("c")?.cause, "rollback");
  t.regex(c.causes.get("c")!.detail, /rolled back from 2\.11\.0 to 2\.10\.27/);
  t.regex(c.action, /c was rolled back/);
  t.is(c.state, "rolling-upgrade", "the rollback itself is recent activity");
});

test("does not belong: a pre-release in a release cluster, a domain unlike the cluster's, a long-running newer server", (t) => {
  const pre = classify(fleet([["a", "2.11.0", 600], ["b", "2.11.0", 600], ["rc", "2.11.1-RC.1", 600]]), T0, T0 - 5 * HOUR);
  t.is(pre.causes.get("rc")?.cause, "does-not-belong");
  const dom = classify(fleet([["a", "2.11.0", 600, "hub"], ["b", "2.11.0", 600, "hub"], ["x", "2.10.27", 600, "leaf"]]), T0, T0 - 5 * HOUR);
  t.regex(dom.causes.get("x")!.detail, /domain "leaf" is unlike its cluster's "hub"/);
  const newer = classify(fleet([["a", "2.10.27", 600], ["b", "2.10.27", 600], ["s", "2.11.0", 600]]), T0, T0 - 5 * HOUR);
  t.is(newer.causes.get("s")?.cause, "does-not-belong");
  t.regex(newer.action, /s run\(s\) the newer 2\.11\.0: finish the upgrade of the rest, or roll those back to 2\.10\.27/);
});

test("restarted recently but on the old version", (t) => {
  const c = classify(fleet([["a", "2.11.0", 600], ["b", "2.11.0", 600], ["c", "2.10.27", 2]]), T0, T0 - 5 * HOUR);
  t.is(c.causes.get("c")?.cause, "restarted-on-old-version");
});

test("lame duck and shutdown count as activity", (t) => {
  const f = fleet([["a", "2.11.0", 600], ["b", "2.10.27", 600], ["c", "2.10.27", 600]], T0 - 5 * MIN);
  f.observe(observation("b", "2.10.27", { id: "b-2.10.27", kind: ObservationKind.LameDuck }), T0 - MIN);
  const c = classify(f, T0, T0 - 5 * HOUR);
  t.is(c.state, "rolling-upgrade");
  t.regex(c.reasons.join("\n"), /b entered lame duck mode 1m ago/);
});

test("estimateMismatchStart: the youngest version group's first start", (t) => {
  const members = [...fleet([["a", "2.10.27", 100], ["b", "2.10.27", 50], ["c", "2.11.0", 20], ["d", "2.11.0", 10]]).records()];
  t.is(estimateMismatchStart(members, T0), T0 - 20 * MIN);
});

test("boundaries: stale only past the policy, rolling-upgrade up to and including the activity window", (t) => {
  const { maxMismatchMs: max, activityWindowMs: window } = defaultMismatchPolicy;
  // The newer server restarted 10 minutes ago; the mismatch began `since`.
  const f = fleet([["a", "2.10.27", 100 * 60], ["b", "2.10.27", 100 * 60], ["c", "2.11.0", 10]]);
  const restart = T0 - 10 * MIN;
  t.is(classify(f, T0, T0 - max).state, "rolling-upgrade", "exactly the policy: not yet stale");
  t.is(classify(f, T0, T0 - max - 1).state, "stale", "1 ms past the policy: stale");
  t.is(classify(f, T0, T0 - max + 1).state, "rolling-upgrade");
  // The activity (c's restart) exactly at, just inside and just past the window.
  t.is(classify(f, restart + window, restart).state, "rolling-upgrade", "at the window's edge: still an upgrade");
  t.is(classify(f, restart + window - 1, restart).state, "rolling-upgrade");
  t.is(classify(f, restart + window + 1, restart).state, "stalled", "1 ms past the window: stalled");
});

test("boundaries hold for a policy other than the default", (t) => {
  const policy = { maxMismatchMs: 2 * HOUR, activityWindowMs: 5 * MIN };
  const f = fleet([["a", "2.10.27", 100 * 60], ["c", "2.11.0", 0], ["d", "2.11.0", 0]]);
  const members = [...f.records()];
  const at = (now: number, since: number) => classifyMismatch(members, summarizeVersions(members), since, now, policy).state;
  t.is(at(T0 + 5 * MIN, T0), "rolling-upgrade");
  t.is(at(T0 + 5 * MIN + 1, T0), "stalled");
  t.is(at(T0 + 2 * HOUR, T0), "stalled");
  t.is(at(T0 + 2 * HOUR + 1, T0), "stale");
});

/** Members in the order given: [name, version, cluster, domain], all started 600 min before T0. */
function domains(spec: [string, string, string, string][]) {
  const f = new Fleet({ offlineAfterMs: 100 * HOUR });
  for (const [name, version, cluster, domain] of spec) {
    f.observe(observation(name, version, { id: `${name}-${version}`, cluster, domain, startedAt: T0 - 600 * MIN }), T0);
  }
  return classify(f, T0, T0 - 5 * HOUR);
}

test("a domain is judged against the peers of the server's own cluster, never against itself", (t) => {
  // With x counted, leaf and hub tie 2-2 and leaf (listed first) would win; among x's peers hub leads 2-1.
  const c = domains([["c", "2.11.0", "c1", "leaf"], ["a", "2.11.0", "c1", "hub"], ["b", "2.11.0", "c1", "hub"], ["x", "2.10.27", "c1", "leaf"]]);
  t.is(c.causes.get("x")?.cause, "does-not-belong");
  t.is(c.causes.get("x")?.detail, 'its JetStream domain "leaf" is unlike its cluster\'s "hub"');
  // Another cluster's domains do not count, however many servers it has.
  const other = domains([["a", "2.11.0", "c1", "hub"], ["b", "2.11.0", "c1", "hub"], ["x", "2.10.27", "c1", "hub"],
    ["l1", "2.11.0", "c2", "leaf"], ["l2", "2.11.0", "c2", "leaf"], ["l3", "2.11.0", "c2", "leaf"], ["l4", "2.11.0", "c2", "leaf"]]);
  t.not(other.causes.get("x")?.cause, "does-not-belong");
  // Alone in its cluster: no peers, no domain to be unlike.
  const alone = domains([["a", "2.11.0", "c1", "hub"], ["b", "2.11.0", "c1", "hub"], ["x", "2.10.27", "c2", "leaf"]]);
  t.not(alone.causes.get("x")?.cause, "does-not-belong");
});

test("a tie among the peers' domains goes to the one a peer lists first, the server's own listing aside", (t) => {
  const hubFirst = domains([["x", "2.10.27", "c1", "leaf"], ["p", "2.11.0", "c1", "hub"], ["q", "2.11.0", "c1", "leaf"], ["r", "2.11.0", "c1", "x"]]);
  t.is(hubFirst.causes.get("x")?.detail, 'its JetStream domain "leaf" is unlike its cluster\'s "hub"');
  const leafFirst = domains([["x", "2.10.27", "c1", "leaf"], ["q", "2.11.0", "c1", "leaf"], ["p", "2.11.0", "c1", "hub"], ["r", "2.11.0", "c1", "x"]]);
  t.not(leafFirst.causes.get("x")?.cause, "does-not-belong");
});

test("consistent: no servers at all, or one version, say so", (t) => {
  const none = classifyMismatch([], summarizeVersions([]), undefined, T0, defaultMismatchPolicy);
  t.deepEqual({ ...none, causes: [...none.causes] }, { state: "consistent", since: undefined, reasons: ["no servers"], action: "no servers seen yet", causes: [] });
  const one = classify(fleet([["a", "2.10.27", 600], ["b", "2.10.27", 600]]), T0, T0 - HOUR);
  t.deepEqual(one.reasons, ["every server runs 2.10.27"]);
  t.is(one.since, undefined, "a durable start is ignored while consistent");
  t.is(one.causes.size, 0);
});

test("the reasons: the versions with their counts, newest first, and when the mismatch began", (t) => {
  const c = classify(fleet([["a", "2.10.27", 600], ["b", "2.10.27", 600], ["c", "2.11.0", 3]]), T0);
  t.deepEqual(c.reasons, [
    "versions 2.11.0 (1), 2.10.27 (2)",
    `mismatch since ${new Date(T0 - 3 * MIN).toISOString()}, 3m ago`,
    "c restarted on 2.11.0 3m ago (activity window 1h)",
  ]);
  const stalled = classify(fleet([["a", "2.11.0", 600], ["b", "2.11.0", 600], ["c", "2.10.27", 600]]), T0, T0 - 5 * HOUR);
  t.is(stalled.reasons[2], "nothing has happened since a restarted on 2.11.0 10h ago (activity window 1h)");
});

test("stalled without any sign of activity: no restart time known, no change, no lame duck", (t) => {
  const f = new Fleet({ offlineAfterMs: 100 * HOUR });
  const withoutStart = (name: string, version: string) => {
    const { startedAt: _, ...rest } = observation(name, version, { id: name });
    return rest;
  };
  f.observe(withoutStart("a", "2.11.0"), T0 - 5 * HOUR);
  f.observe(withoutStart("b", "2.11.0"), T0 - 5 * HOUR);
  f.observe(withoutStart("c", "2.10.27"), T0 - 5 * HOUR);
  const c = classify(f, T0);
  t.is(c.state, "stalled");
  t.is(c.since, T0 - 5 * HOUR, "estimated from when the versions were first seen");
  t.is(c.reasons[2], "no restart, lame duck or version change within the activity window of 1h");
  t.is(c.causes.get("c")?.detail, "runs 2.10.27 with an uptime of unknown, and nothing around it is being upgraded");
});

test("each cause's detail, as an operator reads it", (t) => {
  const forgotten = classify(fleet([["a", "2.11.0", 600], ["b", "2.11.0", 600], ["c", "2.10.27", 6000]]), T0, T0 - 5 * HOUR);
  t.is(forgotten.causes.get("c")?.detail, "runs 2.10.27 with an uptime of 4d4h, and nothing around it is being upgraded");
  const restarted = classify(fleet([["a", "2.11.0", 600], ["b", "2.11.0", 600], ["c", "2.10.27", 2]]), T0, T0 - 5 * HOUR);
  t.is(restarted.causes.get("c")?.detail, "restarted 2m ago, but on 2.10.27, older than 2.11.0");
  const leading = classify(fleet([["a", "2.10.27", 600], ["b", "2.10.27", 600], ["c", "2.11.0", 3]]), T0);
  t.is(leading.causes.get("c")?.detail, "restarted 3m ago on the newer 2.11.0");
  const newer = classify(fleet([["a", "2.10.27", 600], ["b", "2.10.27", 600], ["s", "2.11.0", 600]]), T0, T0 - 5 * HOUR);
  t.is(newer.causes.get("s")?.detail, "has run the newer 2.11.0 for 10h while the rest run 2.10.27: another pipeline or environment?");
  const incomplete = classify(fleet([["a", "2.11.0", 20], ["b", "2.11.0", 10], ["c", "2.10.27", 6000]]), T0);
  t.is(incomplete.causes.get("c")?.detail, "its peers were upgraded recently (b restarted on 2.11.0), it still runs 2.10.27 after 4d4h");
  const pre = classify(fleet([["a", "2.11.0", 600], ["b", "2.11.0", 600], ["rc", "2.11.1-RC.1", 600]]), T0, T0 - 5 * HOUR);
  t.is(pre.causes.get("rc")?.detail, "runs the pre-release 2.11.1-RC.1 in a cluster on release 2.11.0");
});

test("a rollback's detail says from what, to what and when", (t) => {
  const f = fleet([["a", "2.11.0", 300], ["b", "2.11.0", 300], ["c", "2.11.0", 300]], T0 - 10 * MIN);
  f.observe(observation("c", "2.10.27", { id: "c-back", startedAt: T0 - 2 * MIN }), T0 - 90_000);
  const c = classify(f, T0);
  t.deepEqual(c.causes.get("c"), { cause: "rollback", detail: "rolled back from 2.11.0 to 2.10.27 2m ago" });
  t.is(c.action, "finish the rolling upgrade to 2.11.0: 1 server(s) left, one at a time (lame duck, stop, upgrade, start, wait for JetStream to be current); c was rolled back: fix what made it fail and upgrade it again, or roll the rest back");
  const later = classify(f, T0 + 2 * HOUR, T0 - 5 * HOUR);
  t.is(later.causes.get("c")?.detail, "rolled back from 2.11.0 to 2.10.27 2h2m ago");
  t.is(later.action, "upgrade 1 outlier server(s) to 2.11.0 (c); c was rolled back: fix what made it fail and upgrade it again, or roll the rest back");
});

test("in a pre-release cluster a pre-release outlier is judged like any other", (t) => {
  const c = classify(fleet([["a", "2.11.0-RC.2", 600], ["b", "2.11.0-RC.2", 600], ["c", "2.11.0-RC.1", 600]]), T0, T0 - 5 * HOUR);
  t.is(c.causes.get("c")?.cause, "forgotten-server");
});

test("an outlier's own restart counts up to and including the activity window", (t) => {
  const { activityWindowMs: window } = defaultMismatchPolicy;
  // c restarted on the old version `window` ms before T0; the newest group is long-running.
  const f = new Fleet({ offlineAfterMs: 100 * HOUR });
  f.observe(observation("a", "2.11.0", { id: "a", startedAt: T0 - 10 * HOUR }), T0 - 5 * HOUR);
  f.observe(observation("b", "2.11.0", { id: "b", startedAt: T0 - 10 * HOUR }), T0 - 5 * HOUR);
  f.observe(observation("c", "2.10.27", { id: "c", startedAt: T0 - window }), T0 - 5 * HOUR);
  t.is(classify(f, T0, T0 - 5 * HOUR).causes.get("c")?.cause, "restarted-on-old-version");
  t.is(classify(f, T0 + 1, T0 - 5 * HOUR).causes.get("c")?.cause, "forgotten-server");
  // The same for a newer outlier leading an upgrade.
  const g = new Fleet({ offlineAfterMs: 100 * HOUR });
  g.observe(observation("a", "2.10.27", { id: "a", startedAt: T0 - 10 * HOUR }), T0 - 5 * HOUR);
  g.observe(observation("b", "2.10.27", { id: "b", startedAt: T0 - 10 * HOUR }), T0 - 5 * HOUR);
  g.observe(observation("s", "2.11.0", { id: "s", startedAt: T0 - window }), T0 - 5 * HOUR);
  t.is(classify(g, T0, T0 - 5 * HOUR).causes.get("s")?.cause, "upgrade-in-progress");
  t.is(classify(g, T0 + 1, T0 - 5 * HOUR).causes.get("s")?.cause, "does-not-belong");
});

test("the peers' recent activity counts up to and including the window for an old outlier", (t) => {
  const { activityWindowMs: window } = defaultMismatchPolicy;
  const f = fleet([["a", "2.11.0", 60], ["b", "2.11.0", 600], ["c", "2.10.27", 6000]]);
  t.is(classify(f, T0 - HOUR + window, T0 - 2 * HOUR).causes.get("c")?.cause, "incomplete-upgrade");
  t.is(classify(f, T0 - HOUR + window + 1, T0 - 2 * HOUR).causes.get("c")?.cause, "forgotten-server");
});

test("the action names at most five outliers, then how many more; the rolling upgrade counts who is left", (t) => {
  const spec: [string, string, number][] = [["n1", "2.11.0", 600], ["n2", "2.11.0", 600], ["n3", "2.11.0", 600], ["n4", "2.11.0", 600], ["n5", "2.11.0", 600], ["n6", "2.11.0", 600], ["n7", "2.11.0", 600], ["n8", "2.11.0", 600]];
  const old = ["o1", "o2", "o3", "o4", "o5", "o6", "o7"].map((n): [string, string, number] => [n, "2.10.27", 6000]);
  const c = classify(fleet([...spec, ...old]), T0, T0 - 5 * HOUR);
  t.is(c.action, "upgrade 7 outlier server(s) to 2.11.0 (o1, o2, o3, o4, o5 and 2 more)");
  const five = classify(fleet([...spec, ...old.slice(0, 5)]), T0, T0 - 5 * HOUR);
  t.is(five.action, "upgrade 5 outlier server(s) to 2.11.0 (o1, o2, o3, o4, o5)");
  const rolling = classify(fleet([["a", "2.10.27", 600], ["b", "2.10.27", 600], ["c", "2.10.26", 600], ["d", "2.11.0", 3]]), T0);
  t.is(rolling.action, "finish the rolling upgrade to 2.11.0: 3 server(s) left, one at a time (lame duck, stop, upgrade, start, wait for JetStream to be current)");
});

test("older and newer outliers at once: both parts of the action", (t) => {
  const c = classify(fleet([["a", "2.10.27", 600], ["b", "2.10.27", 600], ["o", "2.10.26", 600], ["s", "2.11.0", 600]]), T0, T0 - 5 * HOUR);
  t.is(c.action, "upgrade 1 outlier server(s) to 2.10.27 (o); s run(s) the newer 2.11.0: finish the upgrade of the rest, or roll those back to 2.10.27 if the newer version is not wanted");
});

test("the most recent activity is the one described; a later version change beats an earlier restart", (t) => {
  const f = fleet([["a", "2.11.0", 50], ["b", "2.10.27", 600], ["c", "2.10.27", 600]], T0 - 40 * MIN);
  f.observe(observation("b", "2.10.28", { id: "b2", startedAt: T0 - 20 * MIN }), T0 - 10 * MIN);
  f.observe(observation("c", "2.10.27", { id: "c-2.10.27", kind: ObservationKind.Shutdown }), T0 - 30 * MIN);
  const c = classify(f, T0, T0 - 2 * HOUR);
  // Dated at b's restart on 2.10.28, 20 minutes ago, though seen only 10 minutes ago.
  t.is(c.reasons[2], "b changed from 2.10.27 to 2.10.28 20m ago (activity window 1h)");
  const g = fleet([["a", "2.11.0", 50], ["b", "2.10.27", 600], ["c", "2.10.27", 600]], T0 - 40 * MIN);
  g.observe(observation("c", "2.10.27", { id: "c-2.10.27", kind: ObservationKind.Shutdown }), T0 - 30 * MIN);
  t.is(classify(g, T0, T0 - 2 * HOUR).reasons[2], "c shut down 30m ago (activity window 1h)");
});

test("estimateMismatchStart: a start time after the version was first seen, or in the future, does not count", (t) => {
  const members = [...fleet([["a", "2.10.27", 100], ["b", "2.11.0", 20]]).records()];
  const [a, b] = members as [ServerRecord, ServerRecord];
  const { startedAt: _, ...unstarted } = b;
  t.is(estimateMismatchStart([a, { ...unstarted, versionSince: T0 - 30 * MIN }], T0), T0 - 30 * MIN, "no start time: when the version was first seen");
  t.is(estimateMismatchStart([a, { ...b, startedAt: T0 - 5 * MIN, versionSince: T0 - 30 * MIN }], T0), T0 - 30 * MIN, "a later restart on the same version");
  t.is(estimateMismatchStart([a, { ...b, startedAt: T0 + HOUR, versionSince: T0 + HOUR }], T0), T0, "a clock ahead of ours");
  t.is(estimateMismatchStart([{ ...b, startedAt: T0 - 20 * MIN }, { ...b, name: "b2", startedAt: T0 - 25 * MIN }, a], T0), T0 - 25 * MIN, "the earliest of a group, whatever the order");
});

const unlike = (domain: string, peers: string) => `its JetStream domain "${domain}" is unlike its cluster's "${peers}"`;

test("a tie among peers' domains: each domain's first listing by a peer, however the server's own listing falls", (t) => {
  // x lists leaf first; among its peers leaf is first listed by q, before hub (p).
  const ownFirst = domains([["x", "2.10.27", "c1", "leaf"], ["q", "2.11.0", "c1", "leaf"], ["p", "2.11.0", "c1", "hub"], ["s", "2.11.0", "c1", "hub"], ["r", "2.11.0", "c1", "leaf"]]);
  t.not(ownFirst.causes.get("x")?.cause, "does-not-belong", "leaf 2 (first at q) against hub 2 (first at p): leaf");
  // Leaf is listed first by p, before x: p's listing counts, not the one after x.
  const peerFirst = domains([["p", "2.11.0", "c1", "leaf"], ["h", "2.11.0", "c1", "hub"], ["x", "2.10.27", "c1", "leaf"], ["h2", "2.11.0", "c1", "hub"], ["q", "2.11.0", "c1", "leaf"]]);
  t.not(peerFirst.causes.get("x")?.cause, "does-not-belong");
  // x, the first of its cluster to list leaf, is not the fleet's first server.
  const notFirstOverall = domains([["o", "2.11.0", "c2", "other"], ["x", "2.10.27", "c1", "leaf"], ["h", "2.11.0", "c1", "hub"], ["l", "2.11.0", "c1", "leaf"], ["m", "2.11.0", "c1", "leaf"], ["n", "2.11.0", "c1", "hub"]]);
  t.is(notFirstOverall.causes.get("x")?.detail, unlike("leaf", "hub"), "hub 2 (first at h) against leaf 2 (first at l, after h)");
});

test("more peers on a domain beat a domain listed earlier", (t) => {
  const c = domains([["x", "2.10.27", "c1", "leaf"], ["h", "2.11.0", "c1", "hub"], ["l1", "2.11.0", "c1", "leaf"], ["l2", "2.11.0", "c1", "leaf"]]);
  t.not(c.causes.get("x")?.cause, "does-not-belong", "leaf 2 against hub 1");
  const d = domains([["h", "2.11.0", "c1", "hub"], ["l1", "2.11.0", "c1", "leaf"], ["l2", "2.11.0", "c1", "leaf"], ["x", "2.10.27", "c1", "hub"]]);
  t.is(d.causes.get("x")?.detail, unlike("hub", "leaf"));
});

test("only the newest version's restarts are upgrade activity; a restart on an old version is not", (t) => {
  const c = classify(fleet([["a", "2.11.0", 600], ["b", "2.11.0", 600], ["c", "2.10.27", 2]]), T0, T0 - 5 * HOUR);
  t.is(c.state, "stalled");
  t.is(c.reasons[2], "nothing has happened since a restarted on 2.11.0 10h ago (activity window 1h)");
});

test("a server's latest version change is what counts, not an earlier one", (t) => {
  const f = fleet([["a", "2.11.0", 600], ["b", "2.11.0", 600], ["c", "2.10.20", 600]], T0 - 10 * HOUR);
  f.observe(observation("c", "2.10.25", { id: "c2", startedAt: T0 - 9 * HOUR }), T0 - 9 * HOUR);
  f.observe(observation("c", "2.10.27", { id: "c3", startedAt: T0 - 20 * MIN }), T0 - 20 * MIN);
  const r = classify(f, T0, T0 - 10 * HOUR);
  t.is(r.state, "rolling-upgrade");
  t.is(r.reasons[2], "c changed from 2.10.25 to 2.10.27 20m ago (activity window 1h)");
});

test("a rollback followed by a new upgrade is judged by the latest change, no longer as a rollback", (t) => {
  const f = fleet([["a", "2.11.0", 600], ["b", "2.11.0", 600], ["c", "2.11.0", 600]], T0 - 10 * HOUR);
  f.observe(observation("c", "2.10.27", { id: "c-back", startedAt: T0 - 9 * HOUR }), T0 - 9 * HOUR);
  f.observe(observation("c", "2.10.28", { id: "c-up", startedAt: T0 - 8 * HOUR }), T0 - 8 * HOUR);
  const c = classify(f, T0, T0 - 9 * HOUR);
  t.is(c.causes.get("c")?.cause, "forgotten-server");
  t.is(c.action, "upgrade 1 outlier server(s) to 2.11.0 (c)");
});

test("only newer outliers: the action is about them alone", (t) => {
  const c = classify(fleet([["a", "2.10.27", 600], ["b", "2.10.27", 600], ["s", "2.11.0", 600]]), T0, T0 - 5 * HOUR);
  t.is(c.action, "s run(s) the newer 2.11.0: finish the upgrade of the rest, or roll those back to 2.10.27 if the newer version is not wanted");
});
