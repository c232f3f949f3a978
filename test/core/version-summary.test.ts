import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import type { ServerRecord } from "../../src/core/server-record.js";
import { pickTarget, summarizeVersions } from "../../src/core/version-summary.js";
import { parseVersion } from "../../src/core/version.js";
import { observation } from "../helpers/observations.js";

function records(spec: Record<string, string>): ServerRecord[] {
  const fleet = new Fleet({ offlineAfterMs: 60_000 });
  for (const [name, version] of Object.entries(spec)) fleet.observe(observation(name, version), 0);
  return [...fleet.records()];
}

test("one version everywhere is consistent with no outliers", (t) => {
  const s = summarizeVersions(records({ a: "2.10.27", b: "2.10.27", c: "v2.10.27" }));
  t.is(s.target, "2.10.27");
  t.true(s.consistent);
  t.is(s.gap, "none");
  t.deepEqual(s.outliers, []);
  t.deepEqual(s.groups, [{ version: "2.10.27", count: 3, servers: ["a", "b", "c"] }]);
});

test("the majority is the target; the older outlier is graded and marked older", (t) => {
  const s = summarizeVersions(records({ a: "2.10.27", b: "2.10.27", c: "2.9.10" }));
  t.is(s.target, "2.10.27");
  t.false(s.consistent);
  t.is(s.gap, "minor");
  t.deepEqual(
    s.outliers.map((o) => [o.record.name, o.gap, o.direction]),
    [["c", "minor", "older"]],
  );
});

test("a newer outlier is marked newer", (t) => {
  const s = summarizeVersions(records({ a: "2.10.22", b: "2.10.22", c: "2.10.24" }));
  t.deepEqual(
    s.outliers.map((o) => [o.record.name, o.gap, o.direction]),
    [["c", "patch", "newer"]],
  );
});

test("a tie goes to the newest version (finish the upgrade, do not roll back)", (t) => {
  const s = summarizeVersions(records({ a: "2.9.10", b: "2.9.10", c: "2.10.27", d: "2.10.27" }));
  t.is(s.target, "2.10.27");
  t.deepEqual(s.outliers.map((o) => o.record.name), ["a", "b"]);
});

test("three versions, one each: the newest is the target, the gap is the largest", (t) => {
  const s = summarizeVersions(records({ x: "2.9.10", y: "2.10.27", z: "2.15.1" }));
  t.is(s.target, "2.15.1");
  t.is(s.gap, "minor");
  t.deepEqual(s.groups.map((g) => g.version), ["2.15.1", "2.10.27", "2.9.10"]);
  // Furthest behind first.
  t.deepEqual(s.outliers.map((o) => o.record.name), ["x", "y"]);
});

test("gap is the largest of all outliers'", (t) => {
  const s = summarizeVersions(records({ a: "2.10.24", b: "2.10.24", c: "2.10.24", d: "2.10.22", e: "1.4.1" }));
  t.is(s.gap, "major");
  t.deepEqual(s.outliers.map((o) => [o.record.name, o.gap]), [["e", "major"], ["d", "patch"]]);
});

test("no servers: no target", (t) => {
  const s = summarizeVersions([]);
  t.is(s.target, undefined);
  t.true(s.consistent);
});

test("pickTarget: plain majority beats newer", (t) => {
  const v = (s: string) => parseVersion(s)!;
  t.is(pickTarget([{ version: v("2.15.1"), count: 1 }, { version: v("2.10.27"), count: 2 }])?.text, "2.10.27");
});

test("a tie goes to the newest version whatever order the servers and groups arrive in", (t) => {
  const specs: Record<string, string>[] = [
    { a: "2.10.27", b: "2.10.27", c: "2.9.10", d: "2.9.10" }, // newer first
    { a: "2.9.10", b: "2.10.27", c: "2.9.10", d: "2.10.27" }, // interleaved
    { a: "2.10.27", b: "2.9.10", c: "2.10.27", d: "2.9.10" },
  ];
  for (const spec of specs) t.is(summarizeVersions(records(spec)).target, "2.10.27", JSON.stringify(spec));
  const v = (s: string) => parseVersion(s)!;
  for (const order of [["2.15.1", "2.9.10", "2.10.27"], ["2.9.10", "2.15.1", "2.10.27"], ["2.10.27", "2.9.10", "2.15.1"]]) {
    t.is(pickTarget(order.map((x) => ({ version: v(x), count: 2 }))), v("2.15.1"), order.join(","));
  }
  // A plain majority still wins over a newer minority, whichever comes first.
  t.is(pickTarget([{ version: v("2.15.1"), count: 1 }, { version: v("2.9.10"), count: 2 }])?.text, "2.9.10");
});

test("group members are listed by name, whatever order they were seen in", (t) => {
  const s = summarizeVersions(records({ zed: "2.10.27", amy: "2.10.27", kim: "2.9.10", bob: "2.9.10" }));
  t.deepEqual(s.groups.map((g) => g.servers), [["amy", "zed"], ["bob", "kim"]]);
  t.deepEqual(s.outliers.map((o) => o.record.name), ["bob", "kim"]);
});
