import test from "ava";
import { AdvisoryBook } from "../../src/core/advisory-book.js";
import { parseAdvisoryDataset } from "../../src/core/advisory.js";
import { Fleet } from "../../src/core/fleet.js";
import { buildReport } from "../../src/core/version-report.js";
import { observation } from "../helpers/observations.js";

const book = new AdvisoryBook(
  parseAdvisoryDataset({
    source: "test",
    as_of: "2026-06-29",
    advisories: [
      { id: "CVE-OLD", component: "nats-server", affected: ["<2.10.0"], fixed: ["2.10.0"], severity: "critical" },
      { id: "CVE-TEN", component: "nats-server", affected: [">=2.10.0-0 <2.10.29"], fixed: ["2.10.29"], severity: "high" },
      { id: "CVE-GO", component: "go-toolchain", affected: ["<1.21.5"], fixed: ["1.21.5"], severity: null },
    ],
  }),
  ["2.10.27", "2.10.29", "2.11.0"].map((version) => ({ version, date: "2026-01-01", prerelease: false })),
);

function fleet(versions: Record<string, string>, go?: Record<string, string>): Fleet {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  for (const [name, v] of Object.entries(versions)) f.observe(observation(name, v, go?.[name] ? { kind: "varz", go: go[name] } : {}), 1000);
  return f;
}

test("each server lists the advisories of its version and Go; the target's and the recommendation are given", (t) => {
  const r = buildReport(fleet({ a: "2.9.10", b: "2.10.27", c: "2.10.27" }, { c: "go1.21.3" }), 2000, {}, { advisories: book });
  const byName = Object.fromEntries(r.servers.map((s) => [s.name, s.advisories]));
  t.deepEqual(byName["a"], { count: 1, ids: ["CVE-OLD"], worst_severity: "critical" });
  t.deepEqual(byName["b"], { count: 1, ids: ["CVE-TEN"], worst_severity: "high" });
  t.deepEqual(byName["c"], { count: 2, ids: ["CVE-TEN", "CVE-GO"], worst_severity: "high" });
  t.deepEqual(r.security, {
    dataset: { source: "test", as_of: "2026-06-29" },
    target: { count: 1, ids: ["CVE-TEN"], worst_severity: "high" },
    recommended_version: "2.10.29",
    affected_servers: 3,
  });
  t.regex(r.action, /^the target 2\.10\.27 is itself affected by 1 known advisory \(worst: high\): upgrade to 2\.10\.29 rather than to 2\.10\.27; /);
});

test("a consistent cluster on an affected version is told so, not 'none'", (t) => {
  const r = buildReport(fleet({ a: "2.10.27", b: "2.10.27" }), 2000, {}, { advisories: book });
  t.is(r.state, "consistent");
  t.is(r.action, "every server runs 2.10.27, affected by 1 known advisory (worst: high): upgrade to 2.10.29");
});

test("a clean fleet: no advisory fields, the action unchanged; without a dataset nothing is said", (t) => {
  const r = buildReport(fleet({ a: "2.10.29", b: "2.10.29" }), 2000, {}, { advisories: book });
  t.is(r.servers[0]!.advisories, undefined);
  t.is(r.action, "none");
  t.is(r.security?.affected_servers, 0);
  t.is(buildReport(fleet({ a: "2.9.10" }), 2000).security, undefined);
});
