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
