import test from "ava";
import { advisoriesFor, DatasetError, goSemver, parseAdvisoryDataset, recommendedVersion, worstSeverity, type AdvisoryDataset } from "../../src/core/advisory.js";

const dataset: AdvisoryDataset = parseAdvisoryDataset({
  source: "test",
  as_of: "2026-06-29",
  advisories: [
    { id: "CVE-A", aliases: ["GHSA-a"], published: "2026-03-24", summary: "two lines fixed", component: "nats-server", affected: ["<2.11.15", ">=2.12.0-0 <2.12.6"], fixed: ["2.11.15", "2.12.6"], severity: "high", source: "CVE/a.txt" },
    { id: "CVE-B", aliases: [], published: "2023-01-01", summary: "old", component: "nats-server", affected: [">=2.2.0 <2.9.23"], fixed: ["2.9.23"], severity: "critical", source: "CVE/b.txt" },
    { id: "CVE-GO", aliases: [], published: "2024-01-01", summary: "Go stdlib", component: "go-toolchain", affected: ["<1.21.5"], fixed: ["1.21.5"], severity: null, source: "CVE/go.txt" },
  ],
});
const releases = ["2.9.22", "2.9.25", "2.10.0", "2.10.29", "2.11.14", "2.11.15", "2.12.0-RC.1", "2.12.5", "2.12.6", "2.14.0"].map((version) => ({
  version,
  date: "2026-01-01",
  prerelease: version.includes("-"),
}));

test("ranges: both lines of a two-line fix, the edges, build metadata and pre-releases", (t) => {
  const ids = (v: string, go?: string) => advisoriesFor(dataset, v, go).map((a) => a.id);
  t.deepEqual(ids("2.9.10"), ["CVE-A", "CVE-B"]);
  t.deepEqual(ids("2.9.23"), ["CVE-A"]);
  t.deepEqual(ids("2.11.14"), ["CVE-A"]);
  t.deepEqual(ids("2.11.15"), []);
  t.deepEqual(ids("2.12.0"), ["CVE-A"]);
  t.deepEqual(ids("2.12.5+build.7"), ["CVE-A"], "build metadata does not hide a version");
  t.deepEqual(ids("2.12.6"), []);
  t.deepEqual(ids("2.12.0-RC.1"), ["CVE-A"], "a pre-release of an affected line is affected");
  t.deepEqual(ids("2.12.6-RC.1"), ["CVE-A"], "a pre-release of the fix is older than the fix");
  t.deepEqual(ids("v2.14.0"), []);
  t.deepEqual(ids("banana"), []);
});

test("Go toolchain advisories go by the Go version from VARZ, and only when it is known", (t) => {
  t.deepEqual(goSemver("go1.21.3"), "1.21.3");
  t.deepEqual(goSemver("go1.22"), "1.22.0");
  t.is(goSemver("gccgo"), undefined);
  t.deepEqual(advisoriesFor(dataset, "2.14.0", "go1.21.3").map((a) => a.id), ["CVE-GO"]);
  t.deepEqual(advisoriesFor(dataset, "2.14.0", "go1.21.5").map((a) => a.id), []);
  t.deepEqual(advisoriesFor(dataset, "2.14.0").map((a) => a.id), [], "no VARZ yet: no Go advisory claimed");
});

test("the recommendation: lowest clean release at or above the target, on its own minor line first", (t) => {
  t.is(recommendedVersion(dataset, releases, "2.11.3"), "2.11.15");
  t.is(recommendedVersion(dataset, releases, "2.12.0"), "2.12.6", "not the RC");
  t.is(recommendedVersion(dataset, releases, "2.9.10"), "2.11.15", "no clean 2.9 or 2.10 release: the lowest clean one above");
  t.is(recommendedVersion(dataset, releases, "2.14.0"), "2.14.0", "a clean target is its own recommendation");
  t.is(recommendedVersion(dataset, releases, "2.15.0"), "2.15.0", "a clean release the table does not know yet is its own recommendation");
  t.is(recommendedVersion(dataset, releases, "2.15.0-RC.1"), undefined, "a pre-release is never recommended");
  t.is(recommendedVersion(dataset, releases, "2.12.5"), "2.12.6");
});

test("worst severity", (t) => {
  t.is(worstSeverity(advisoriesFor(dataset, "2.9.10")), "critical");
  t.is(worstSeverity(advisoriesFor(dataset, "2.14.0", "go1.20.0")), null);
});

test("a dataset from outside is validated, naming the fault", (t) => {
  const bad = (raw: unknown, msg: RegExp) => t.throws(() => parseAdvisoryDataset(raw), { instanceOf: DatasetError, message: msg });
  bad([], /JSON object/);
  bad({ source: "x", as_of: "June", advisories: [] }, /as_of/);
  bad({ source: "x", as_of: "2026-01-01", advisories: [{ id: "A", component: "nats-server", affected: ["<<2"] }] }, /"<<2" is not a version range/);
  bad({ source: "x", as_of: "2026-01-01", advisories: [{ id: "A", component: "nats-client", affected: ["<2"] }] }, /component/);
  bad({ source: "x", as_of: "2026-01-01", advisories: [{ id: "A", component: "nats-server", affected: [] }] }, /affected is empty/);
  bad({ source: "x", as_of: "2026-01-01", advisories: [{ id: "A", component: "nats-server", affected: ["<2"] }, { id: "A", component: "nats-server", affected: ["<2"] }] }, /appears twice/);
});

test("the bundled dataset: ranges as its texts state them, pre-releases and the Go toolchain", async (t) => {
  const { bundledAdvisories: data } = await import("../../src/data/bundled.js");
  const ids = (v: string, go?: string) => advisoriesFor(data, v, go).map((a) => a.id);
  // CVE-2025-30215 (secnote-2025-01): fixed in 2.10.27 and 2.11.1.
  t.true(ids("2.10.26").includes("CVE-2025-30215"));
  t.false(ids("2.10.27").includes("CVE-2025-30215"));
  t.true(ids("2.11.0").includes("CVE-2025-30215"));
  t.true(ids("2.11.0-RC.2").includes("CVE-2025-30215"), "a release candidate of an affected line");
  t.false(ids("2.11.1").includes("CVE-2025-30215"));
  // CVE-2026-33216 (secnote-2026-05): "any version before v2.12.6 or v2.11.15".
  t.true(ids("2.11.14").includes("CVE-2026-33216"));
  t.false(ids("2.11.15").includes("CVE-2026-33216"));
  t.true(ids("2.12.0-RC.1").includes("CVE-2026-33216"));
  t.true(ids("2.12.5").includes("CVE-2026-33216"));
  t.false(ids("2.12.6").includes("CVE-2026-33216"));
  // CVE-2025-68121 (secnote-2026-01): "any release built with Go before 1.25.7 or 1.24.13".
  t.true(ids("2.14.5", "go1.24.12").includes("CVE-2025-68121"));
  t.false(ids("2.14.5", "go1.24.13").includes("CVE-2025-68121"));
  t.true(ids("2.14.5", "go1.25.6").includes("CVE-2025-68121"));
  t.false(ids("2.14.5", "go1.25.7").includes("CVE-2025-68121"));
  t.false(ids("2.14.5").includes("CVE-2025-68121"), "no Go version known, no claim");
});
