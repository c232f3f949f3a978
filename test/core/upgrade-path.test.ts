import test from "ava";
import { upgradePath } from "../../src/core/upgrade-path.js";

test("2.9 to 2.15 goes through every minor that was released, 2.13 never was", (t) => {
  t.deepEqual(upgradePath("2.9.10", "2.15.1"), ["2.10.29", "2.11.17", "2.12.15", "2.14.5", "2.15.1"]);
});

test("a patch-only gap is one step; the next minor is one step", (t) => {
  t.deepEqual(upgradePath("2.10.27", "2.10.29"), ["2.10.29"]);
  t.deepEqual(upgradePath("2.10.27", "2.11.0"), ["2.11.0"]);
  t.deepEqual(upgradePath("2.12.3", "2.14.1"), ["2.14.1"], "2.13 does not exist: 2.12 to 2.14 is one minor step");
});

test("no path backwards, sideways or from nonsense", (t) => {
  t.deepEqual(upgradePath("2.15.1", "2.9.10"), []);
  t.deepEqual(upgradePath("2.10.3", "2.10.3"), []);
  t.deepEqual(upgradePath("banana", "2.10.3"), []);
});

test("pre-releases and build metadata keep the target as given", (t) => {
  t.deepEqual(upgradePath("2.10.3", "2.12.0-RC.2"), ["2.11.17", "2.12.0-RC.2"]);
  t.deepEqual(upgradePath("v2.9.1", "2.9.25+build.3"), ["2.9.25+build.3"]);
});

test("a table without a minor skips it; a newer table adds steps", (t) => {
  const table = [
    { minor: "2.9", latest: "2.9.25" },
    { minor: "2.10", latest: "2.10.29" },
    { minor: "2.12", latest: "2.12.15" },
  ];
  t.deepEqual(upgradePath("2.9.0", "2.14.0", table), ["2.10.29", "2.12.15", "2.14.0"]);
});

test("minor lines are ordered within and across majors", (t) => {
  const table = [
    { minor: "2.14", latest: "2.14.5" },
    { minor: "2.15", latest: "2.15.4" },
    { minor: "3.0", latest: "3.0.2" },
    { minor: "3.1", latest: "3.1.0" },
  ];
  t.deepEqual(upgradePath("2.14.1", "3.1.0", table), ["2.15.4", "3.0.2", "3.1.0"]);
  t.deepEqual(upgradePath("2.15.0", "3.0.1", table), ["3.0.1"]);
});
