import test from "ava";
import { gapRisk, gradeGap, maxGap, type GapGrade } from "../../src/core/version-gap.js";
import { parseVersion } from "../../src/core/version.js";

const grades = test.macro({
  exec(t, target: string, version: string, expected: GapGrade) {
    t.is(gradeGap(parseVersion(target)!, parseVersion(version)!), expected);
  },
  title: (_p, target, version, expected) => `${version} against ${target} is ${expected}`,
});

test(grades, "2.10.24", "2.10.24", "none");
test(grades, "2.10.24", "v2.10.24", "none");
test(grades, "2.10.24", "2.10.22", "patch");
test(grades, "2.10.22", "2.10.24", "patch");
test(grades, "2.10.27", "2.9.10", "minor");
test(grades, "2.9.10", "2.15.1", "minor");
test(grades, "2.10.0", "1.4.1", "major");
test(grades, "2.11.0", "2.11.0-RC.1", "prerelease");
test(grades, "2.11.0-RC.1", "2.11.0-RC.2", "prerelease");
test(grades, "2.11.0", "2.10.5-RC.1", "minor");
test(grades, "2.10.3+a", "2.10.3+b", "build");

test("maxGap picks the more severe grade, none is the identity", (t) => {
  t.is(maxGap("none", "patch"), "patch");
  t.is(maxGap("minor", "patch"), "minor");
  t.is(maxGap("major", "minor"), "major");
  t.is(maxGap("build", "prerelease"), "prerelease");
  t.is(maxGap("none", "none"), "none");
});


test("grades are ordered none < build < prerelease < patch < minor < major, both ways round", (t) => {
  const order = ["none", "build", "prerelease", "patch", "minor", "major"] as const;
  for (const [i, lower] of order.entries()) {
    for (const higher of order.slice(i + 1)) {
      t.is(maxGap(lower, higher), higher, `${lower} vs ${higher}`);
      t.is(maxGap(higher, lower), higher, `${higher} vs ${lower}`);
    }
  }
});

test("each grade has its own risk phrase, and the risky ones say so", (t) => {
  t.is(new Set(Object.values(gapRisk)).size, 6);
  t.regex(gapRisk.patch, /low risk/);
  t.regex(gapRisk.minor, /higher risk/);
  t.regex(gapRisk.major, /highest risk/);
});

test(grades, "2.11.0-RC.1", "2.11.0-RC1", "prerelease");

test("no risk phrase is empty", (t) => {
  for (const phrase of Object.values(gapRisk)) t.true(phrase.length >= 6, JSON.stringify(phrase));
});
test(grades, "2.11.0-RC1", "2.11.0-RC.1", "prerelease");
