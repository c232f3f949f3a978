import test from "ava";
import { advisoriesFor, DatasetError, goSemver, parseAdvisoryDataset, parseReleases, recommendedVersion, worstSeverity, type AdvisoryDataset } from "../../src/core/advisory.js";

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

test("a dataset error is a DatasetError by name too", (t) => {
  const err = t.throws(() => parseAdvisoryDataset(null), { instanceOf: DatasetError });
  t.is(err?.name, "DatasetError");
  t.is(err?.message, "the dataset must be a JSON object");
});

test("worst severity follows low < moderate < medium < high < critical, whatever the order or case stated", (t) => {
  const sev = (...list: (string | null)[]) => worstSeverity(list.map((severity, i) => ({ ...dataset.advisories[0]!, id: `X-${i}`, severity })));
  t.is(sev("critical", "low"), "critical", "a later, milder advisory does not lower it");
  t.is(sev("high", "critical", null), "critical", "an advisory without a severity does not clear it");
  t.is(sev("moderate", "low"), "moderate");
  t.is(sev("low", "moderate"), "moderate");
  t.is(sev("medium", "moderate"), "medium");
  t.is(sev("moderate", "medium"), "medium");
  t.is(sev("high", "medium"), "high");
  t.is(sev("medium", "HIGH"), "high");
  t.is(sev("weird", "low"), "low", "an unknown severity counts as less than low");
  t.is(sev("low", "weird"), "low");
  t.is(sev("weird"), "weird", "an unknown severity alone is still stated");
  t.is(sev(null, "Weird", "odd"), "weird", "between two unknown ones the first stated is kept");
  t.is(sev(null), null);
  t.is(sev(), null);
});

test("goSemver: only a Go release at the start of the text, with any number of digits, spaces around ignored", (t) => {
  t.is(goSemver("go10.1.2"), "10.1.2");
  t.is(goSemver("go1.21.3 X:nocoverageredesign"), "1.21.3");
  t.is(goSemver("  go1.21.3\n"), "1.21.3");
  t.is(goSemver("gccgo1.21.3"), undefined);
  t.is(goSemver("devel go1.22-abc"), undefined);
});

test("only a leading v is dropped from a version", (t) => {
  const ids = (v: string) => advisoriesFor(dataset, v).map((a) => a.id);
  t.deepEqual(ids("v2.11.14"), ["CVE-A"]);
  t.deepEqual(ids("2.9.10-v"), ["CVE-A", "CVE-B"], "a v inside the version is part of it");
  t.is(recommendedVersion(dataset, releases, "v2.11.3"), "2.11.15");
  t.is(recommendedVersion(dataset, releases, "2.12.5+v"), "2.12.6");
  t.is(recommendedVersion(dataset, releases, "banana"), undefined);
});

test("the recommendation: candidates in version order whatever the table's order, never a pre-release", (t) => {
  // 2.13.0 is not in the table: the target itself is the lowest clean release, below the table's 2.14.0.
  t.is(recommendedVersion(dataset, releases, "2.13.0"), "2.13.0");
  const shuffled = ["2.14.0", "2.12.9", "2.12.7"].map((version) => ({ version, date: "", prerelease: false }));
  t.is(recommendedVersion(dataset, shuffled, "2.12.5"), "2.12.7");
  const withRc = [
    { version: "2.12.7-RC.1", date: "", prerelease: true },
    { version: "2.12.8", date: "", prerelease: false },
  ];
  t.is(recommendedVersion(dataset, withRc, "2.12.5"), "2.12.8", "a clean release candidate is not recommended");
});

const minimal = { id: "CVE-M", component: "nats-server", affected: ["<2.0.0"] };
const withAdvisory = (over: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  source: "x",
  as_of: "2026-01-01",
  advisories: [{ ...minimal, ...over }],
  ...top,
});

test("a parsed advisory: optional fields absent get empty defaults, present ones are kept", (t) => {
  t.deepEqual(parseAdvisoryDataset(withAdvisory({})), {
    source: "x",
    as_of: "2026-01-01",
    advisories: [{ id: "CVE-M", aliases: [], published: "", summary: "", component: "nats-server", affected: ["<2.0.0"], fixed: [], severity: null, source: "" }],
  });
  const full = parseAdvisoryDataset(
    withAdvisory(
      { aliases: ["GHSA-m"], published: "2025-01-02", summary: "a summary", fixed: ["2.0.0"], severity: "low", source: "CVE/m.txt" },
      { commit: "abc123" },
    ),
  );
  t.deepEqual(full, {
    source: "x",
    as_of: "2026-01-01",
    commit: "abc123",
    advisories: [
      { id: "CVE-M", aliases: ["GHSA-m"], published: "2025-01-02", summary: "a summary", component: "nats-server", affected: ["<2.0.0"], fixed: ["2.0.0"], severity: "low", source: "CVE/m.txt" },
    ],
  });
  const odd = parseAdvisoryDataset(withAdvisory({ published: 20250102, summary: null, source: 7 }, { commit: 5 }));
  t.false("commit" in odd, "a commit that is not a string is left out");
  t.like(odd.advisories[0], { published: "", summary: "", source: "" });
});

test("every fault of a dataset is named with where it is", (t) => {
  const fault = (raw: unknown, message: string) => t.throws(() => parseAdvisoryDataset(raw), { instanceOf: DatasetError, message });
  fault({ as_of: "2026-01-01", advisories: [] }, `"source" must be a string`);
  fault({ source: 1, as_of: "2026-01-01", advisories: [] }, `"source" must be a string`);
  fault({ source: "x", advisories: [] }, `"as_of" must be a date (YYYY-MM-DD)`);
  fault({ source: "x", as_of: "on 2026-01-01", advisories: [] }, `"as_of" must be a date (YYYY-MM-DD)`);
  fault({ source: "x", as_of: "2026-01-01 or so", advisories: [] }, `"as_of" must be a date (YYYY-MM-DD)`);
  fault({ source: "x", as_of: ["2026-01-01"], advisories: [] }, `"as_of" must be a date (YYYY-MM-DD)`);
  fault({ source: "x", as_of: "2026-01-01", advisories: {} }, `"advisories" must be a list`);
  fault({ source: "x", as_of: "2026-01-01" }, `"advisories" must be a list`);
  fault({ source: "x", as_of: "2026-01-01", advisories: [minimal, "CVE-2"] }, "advisories[1] must be an object");
  fault({ source: "x", as_of: "2026-01-01", advisories: [minimal, null] }, "advisories[1] must be an object");
  fault(withAdvisory({ id: "" }), "advisories[0].id must be a non-empty string");
  fault(withAdvisory({ id: 7 }), "advisories[0].id must be a non-empty string");
  fault(withAdvisory({ component: undefined }), `advisories[0] (CVE-M).component must be "nats-server" or "go-toolchain"`);
  fault(withAdvisory({ affected: "<2.0.0" }), "advisories[0] (CVE-M).affected must be a list of strings");
  fault(withAdvisory({ affected: ["<2.0.0", 2] }), "advisories[0] (CVE-M).affected must be a list of strings");
  fault(withAdvisory({ aliases: "GHSA-m" }), "advisories[0] (CVE-M).aliases must be a list of strings");
  fault(withAdvisory({ aliases: [null] }), "advisories[0] (CVE-M).aliases must be a list of strings");
  fault(withAdvisory({ fixed: "2.0.0" }), "advisories[0] (CVE-M).fixed must be a list of strings");
  fault(withAdvisory({ severity: 3 }), "advisories[0] (CVE-M).severity must be a string or null");
  fault(withAdvisory({ affected: ["<2.0.0", "soon"] }), `advisories[0] (CVE-M): "soon" is not a version range`);
  fault({ source: "x", as_of: "2026-01-01", advisories: [minimal, minimal] }, "advisories[1]: the id CVE-M appears twice");
});

test("a release table: validated, sorted oldest first, date and pre-release flag defaulted", (t) => {
  t.deepEqual(
    parseReleases({
      releases: [
        { version: "2.11.0", date: "2025-03-20" },
        { version: "2.10.0-RC.1", date: 20240101, prerelease: true },
        { version: "2.9.25", prerelease: "yes" },
        { version: "2.10.0", date: "2024-01-01", prerelease: false },
      ],
    }),
    [
      { version: "2.9.25", date: "", prerelease: false },
      { version: "2.10.0-RC.1", date: "", prerelease: true },
      { version: "2.10.0", date: "2024-01-01", prerelease: false },
      { version: "2.11.0", date: "2025-03-20", prerelease: false },
    ],
  );
  t.deepEqual(parseReleases({ releases: [] }), []);
  const fault = (raw: unknown, message: string) => t.throws(() => parseReleases(raw), { instanceOf: DatasetError, message });
  fault([], `the release table must be an object with a "releases" list`);
  fault({ releases: {} }, `the release table must be an object with a "releases" list`);
  fault({ releases: [{ version: "2.10.0" }, "2.11.0"] }, "releases[1].version must be a version");
  fault({ releases: [null] }, "releases[0].version must be a version");
  fault({ releases: [{ version: 2 }] }, "releases[0].version must be a version");
  fault({ releases: [{ version: "2.11" }] }, "releases[0].version must be a version");
});
