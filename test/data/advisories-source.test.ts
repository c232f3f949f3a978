/**
 * The bundled advisory dataset (src/data/advisories.json, built by scripts/build-advisories.ts from
 * nats-io/advisories) against expectations read by hand in the advisory texts, plus the dataset's
 * invariants. Needs only the bundled JSON, not the source checkouts.
 */
import test from "ava";
import semver from "semver";
import data from "../../src/data/advisories.json" with { type: "json" };
import releaseData from "../../src/data/releases.json" with { type: "json" };

interface Entry {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly published: string;
  readonly summary: string;
  readonly component: string;
  readonly affected: readonly string[];
  readonly fixed: readonly string[];
  readonly severity: string | null;
  readonly source: string;
}

const advisories: readonly Entry[] = data.advisories;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const opts = { includePrerelease: true };

function byId(id: string): Entry {
  const a = advisories.find((x) => x.id === id);
  if (!a) throw new Error(`${id} is not in the dataset`);
  return a;
}

function affects(a: Entry, version: string): boolean {
  return a.affected.some((r) => semver.satisfies(version, r, opts));
}

test("old format (CVE-*.txt, NATS-advisory-ID 2021-01): account import loops", (t) => {
  const a = byId("CVE-2020-28466");
  t.is(a.source, "CVE/CVE-2020-28466.txt");
  // "Subject: Import loops in account imports, nats-server DoS"
  t.is(a.summary, "Import loops in account imports, nats-server DoS");
  // "Date: 2021-03-15"
  t.is(a.published, "2021-03-15");
  t.is(a.component, "nats-server");
  // " * Version 2 prior to 2.2.0"
  t.deepEqual(a.affected, [">=2.0.0-0 <2.2.0"]);
  // "Fixed-In: nats-server 2.2.0"
  t.deepEqual(a.fixed, ["2.2.0"]);
  // "   + 2.0.0 through and including 2.1.9 are vulnerable."
  t.true(affects(a, "2.0.0"));
  t.true(affects(a, "2.1.9"));
  t.false(affects(a, "2.2.0"));
  // References: "GitHub Security Advisory for nats-server:" followed by a link ending ".../GHSA-gwj5-3vfq-q992"
  t.true(a.aliases.includes("GHSA-gwj5-3vfq-q992"));
  // no Severity/CVSS header and no annotation in index.md
  t.is(a.severity, null);
});

test("old format with a severity (index.md): CVE-2022-24450, unconstrained account assumption", (t) => {
  const a = byId("CVE-2022-24450");
  // "Fixed-In: nats-server 2.7.2; nats-streaming-server 0.24.1" (the streaming server part is not kept)
  t.deepEqual(a.fixed, ["2.7.2"]);
  // " * All 2.x versions up to and including 2.7.1."
  t.deepEqual(a.affected, [">=2.0.0-0 <=2.7.1"]);
  t.true(affects(a, "2.0.0"));
  t.true(affects(a, "2.7.1"));
  t.false(affects(a, "2.7.2"));
  // index.md: "  + Unconstrained account assumption by authenticated clients (CRITICAL)"
  t.is(a.severity, "CRITICAL");
});

test("old format, very low severity (index.md): CVE-2021-32026, TLS ciphersuites with CLI flags", (t) => {
  const a = byId("CVE-2021-32026");
  // " * All versions prior to 2.2.3"
  t.deepEqual(a.affected, ["<2.2.3"]);
  // "Fixed-In: nats-server 2.2.3"
  t.deepEqual(a.fixed, ["2.2.3"]);
  // index.md: "  + TLS missing ciphersuite settings when CLI flags used (v.low severity)"
  t.is(a.severity, "v.low");
});

test("secnote with two lines and a backport: secnote-2023-01 (CVE-2023-47090)", (t) => {
  const a = byId("CVE-2023-47090");
  t.is(a.source, "CVE/secnote-2023-01.txt");
  // "Aliases: CVE-2023-47090, GHSA-fr2g-9hjm-wr23, GO-2023-2133"
  t.deepEqual(a.aliases.slice(0, 2), ["GHSA-fr2g-9hjm-wr23", "GO-2023-2133"]);
  // " * 2.2.0 up to and including 2.9.22 and 2.10.1"
  t.deepEqual(a.affected, [">=2.2.0 <=2.9.22", ">=2.10.0-0 <=2.10.1"]);
  // "Fixed-In: nats-server 2.9.23, 2.10.2"
  t.deepEqual(a.fixed, ["2.9.23", "2.10.2"]);
  t.false(affects(a, "2.1.9"));
  t.true(affects(a, "2.9.22"));
  t.false(affects(a, "2.9.23"));
  t.true(affects(a, "2.10.1"));
  t.false(affects(a, "2.10.2"));
});

test("newer secnote, 'any version before v2.12.6 or v2.11.15': secnote-2026-05 (CVE-2026-33216)", (t) => {
  const a = byId("CVE-2026-33216");
  t.is(a.source, "CVE/secnote-2026-05.txt");
  // "Subject: nats-server MQTT plaintext password disclosure"
  t.is(a.summary, "nats-server MQTT plaintext password disclosure");
  // "Date: 2026-03-24"
  t.is(a.published, "2026-03-24");
  // " nats-server: any version before v2.12.6 or v2.11.15"
  t.deepEqual(a.affected, ["<2.11.15", ">=2.12.0-0 <2.12.6"]);
  // "Fixed-In: 2.12.6, 2.11.15"
  t.deepEqual(a.fixed, ["2.12.6", "2.11.15"]);
  // "NATS-advisory-ID: 2025-05" (sic: the header says 2025-05 in secnote-2026-05; kept as written)
  // "Aliases: CVE-2026-33216, GHSA-v722-jcv5-w7mc"
  t.deepEqual(a.aliases, ["GHSA-v722-jcv5-w7mc", "NATS-2025-05"]);
  t.true(affects(a, "2.10.29"));
  t.true(affects(a, "2.11.14"));
  t.false(affects(a, "2.11.15"));
  t.true(affects(a, "2.12.0-RC.1"));
  t.true(affects(a, "2.12.5"));
  t.false(affects(a, "2.12.6"));
  t.false(affects(a, "2.14.0"));
  t.is(a.severity, null);
});

test("secnote with a lower bound: secnote-2025-01 (CVE-2025-30215)", (t) => {
  const a = byId("CVE-2025-30215");
  // " * Version 2 from v2.2.0 onwards, prior to v2.11.1 or v2.10.27"
  t.deepEqual(a.affected, [">=2.2.0 <2.10.27", ">=2.11.0-0 <2.11.1"]);
  // "Fixed-In: nats-server 2.11.1, 2.10.27"
  t.deepEqual(a.fixed, ["2.11.1", "2.10.27"]);
  t.false(affects(a, "2.1.9"));
  t.true(affects(a, "2.10.26"));
  t.false(affects(a, "2.10.27"));
  t.true(affects(a, "2.11.0"));
});

test("three fixed lines, 'v2.12.6, v2.11.15 and below': secnote-2026-16 (GHSA-38x3-76xf-cq45)", (t) => {
  const a = byId("GHSA-38x3-76xf-cq45");
  t.is(a.source, "CVE/secnote-2026-16.txt");
  // "Subject: nats-server: Route API Auth Bypass"
  t.is(a.summary, "nats-server: Route API Auth Bypass");
  // "Date: 2026-06-29"
  t.is(a.published, "2026-06-29");
  // "Versions v2.12.6, v2.11.15 and below are vulnerable."
  t.deepEqual(a.affected, ["<=2.11.15", ">=2.12.0-0 <=2.12.6"]);
  // "Fixed-In: v2.14.0, v2.12.7, v2.11.16" / "The issue is fixed in v2.14.0, v2.12.7 and v2.11.16."
  t.deepEqual(a.fixed, ["2.14.0", "2.12.7", "2.11.16"]);
  // "Aliases: GHSA-38x3-76xf-cq45" (no CVE), "NATS-advisory-ID: 2026-16"
  t.deepEqual(a.aliases, ["NATS-2026-16"]);
  t.true(affects(a, "2.11.15"));
  t.false(affects(a, "2.11.16"));
  t.true(affects(a, "2.12.6"));
  t.false(affects(a, "2.12.7"));
  t.false(affects(a, "2.14.0"));
});

test("2.14 line, 2.11 not fixed: secnote-2026-20 (GHSA-p3j5-5hrq-p75h)", (t) => {
  const a = byId("GHSA-p3j5-5hrq-p75h");
  // "Versions v2.14.2, v2.12.11 and below are vulnerable."
  t.deepEqual(a.affected, ["<=2.12.11", ">=2.14.0-0 <=2.14.2"]);
  // "The issue is fixed in v2.14.3 and v2.12.12."
  t.deepEqual(a.fixed, ["2.14.3", "2.12.12"]);
  t.true(affects(a, "2.11.17"));
  t.false(affects(a, "2.12.12"));
  t.true(affects(a, "2.14.0-RC.1"));
  t.true(affects(a, "2.14.2"));
  t.false(affects(a, "2.14.3"));
});

test("Go toolchain: secnote-2026-01 (CVE-2025-68121) is matched against the Go version", (t) => {
  const a = byId("CVE-2025-68121");
  t.is(a.source, "CVE/secnote-2026-01.txt");
  // "Subject: Golang TLS bug affecting rare configurations"
  t.is(a.summary, "Golang TLS bug affecting rare configurations");
  t.is(a.component, "go-toolchain");
  // " * NATS Server: any release built with Go before 1.25.7 or 1.24.13"
  t.deepEqual(a.affected, ["<1.24.13", ">=1.25.0-0 <1.25.7"]);
  t.deepEqual(a.fixed, ["1.25.7", "1.24.13"]);
  t.true(affects(a, "1.21.3"));
  t.true(affects(a, "1.24.12"));
  t.false(affects(a, "1.24.13"));
  t.true(affects(a, "1.25.6"));
  t.false(affects(a, "1.25.7"));
  t.false(affects(a, "1.26.0"));
  // the only Go toolchain advisory
  t.deepEqual(advisories.filter((x) => x.component === "go-toolchain").map((x) => x.id), ["CVE-2025-68121"]);
});

test("non-nats-server advisory CVE-2020-26149 (nats.js / nats.ws / nats.deno) is left out", (t) => {
  // "Fixed-In: nats.js 2.0.0-209; nats.deno v1.0.0-9"
  t.false(advisories.some((a) => a.id === "CVE-2020-26149" || a.aliases.includes("CVE-2020-26149")));
  t.deepEqual(data.excluded.map((e) => e.source), ["CVE/CVE-2020-26149.txt"]);
});

test("symlinked names are not counted twice", (t) => {
  // CVE/CVE-2025-30215.txt and CVE/GHSA-fhg8-qxh5-7q3w.txt are symlinks to secnote-2025-01.txt
  const hits = advisories.filter((a) => a.id === "CVE-2025-30215" || a.aliases.includes("GHSA-fhg8-qxh5-7q3w"));
  t.deepEqual(hits.map((a) => a.source), ["CVE/secnote-2025-01.txt"]);
  t.is(new Set(advisories.map((a) => a.source)).size, advisories.length);
});

test("invariants: header, ids, dates, components", (t) => {
  t.is(data.source, "nats-io/advisories");
  t.regex(data.as_of, DATE);
  t.false(Number.isNaN(Date.parse(data.as_of)));
  t.regex(data.commit, /^[0-9a-f]{40}$/);
  t.true(advisories.length > 0);
  const ids = advisories.map((a) => a.id);
  t.is(new Set(ids).size, ids.length, "every id is unique");
  for (const a of advisories) {
    t.regex(a.id, /^(CVE-\d{4}-\d{4,}|GHSA(-[0-9a-z]{4}){3}|NATS-\d{4}-\d+)$/);
    t.false(a.aliases.includes(a.id), `${a.id} lists itself as an alias`);
    for (const alias of a.aliases) t.false(ids.includes(alias), `${a.id}: alias ${alias} is another advisory's id`);
    t.regex(a.published, DATE);
    t.true(a.published <= data.as_of, `${a.id} published after as_of`);
    t.true(a.summary.length > 0);
    t.true(a.component === "nats-server" || a.component === "go-toolchain", `${a.id}: component ${a.component}`);
    t.true(a.severity === null || a.severity.length > 0);
    t.regex(a.source, /^CVE\/[\w.-]+\.txt$/);
  }
});

test("invariants: every range parses, is non-empty, and excludes the advisory's fixed versions", (t) => {
  for (const a of advisories) {
    t.true(a.affected.length > 0, `${a.id} has no affected ranges`);
    t.true(a.fixed.length > 0, `${a.id} has no fixed versions`);
    for (const r of a.affected) {
      t.not(semver.validRange(r, opts), null, `${a.id}: ${r} does not parse`);
      const min = semver.minVersion(r);
      t.true(min !== null && semver.satisfies(min, r, opts), `${a.id}: ${r} matches nothing`);
    }
    for (const v of a.fixed) {
      t.is(semver.valid(v), v, `${a.id}: fixed ${v} is not a plain version`);
      t.false(affects(a, v), `${a.id}: fixed ${v} lies inside ${a.affected.join(" || ")}`);
    }
  }
});

test("releases table: sorted, dated, 2.13 never released, every nats-server fix is a release", (t) => {
  t.is(releaseData.source, "nats-io/nats-server");
  t.regex(releaseData.as_of, DATE);
  const rel = releaseData.releases;
  t.true(rel.length > 0);
  for (let i = 1; i < rel.length; i++) t.true(semver.lt(rel[i - 1]!.version, rel[i]!.version), `${rel[i]!.version} out of order`);
  for (const r of rel) {
    t.is(semver.valid(r.version), r.version);
    t.is(semver.major(r.version), 2);
    t.regex(r.date, DATE);
    t.true(r.date <= releaseData.as_of);
    t.is(r.prerelease, semver.prerelease(r.version) !== null, r.version);
  }
  t.is(releaseData.as_of, rel.map((r) => r.date).reduce((a, b) => (a > b ? a : b)));
  t.false(rel.some((r) => semver.minor(r.version) === 13));
  const released = new Set(rel.filter((r) => !r.prerelease).map((r) => r.version));
  for (const a of advisories) {
    if (a.component !== "nats-server") continue;
    for (const v of a.fixed) t.true(released.has(v), `${a.id}: fixed ${v} is not a release`);
  }
});
