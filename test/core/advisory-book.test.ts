import test from "ava";
import { AdvisoryBook } from "../../src/core/advisory-book.js";
import { parseAdvisoryDataset } from "../../src/core/advisory.js";
import { applyObservation, type ServerRecord } from "../../src/core/server-record.js";
import { observation } from "../helpers/observations.js";

const many = Array.from({ length: 11 }, (_, i) => ({
  id: `LOW-${String(i + 1).padStart(2, "0")}`,
  component: "nats-server",
  affected: ["<2.2.0"],
  severity: "low",
}));

const dataset = parseAdvisoryDataset({
  source: "test",
  as_of: "2026-06-29",
  advisories: [
    { id: "CVE-OLD", component: "nats-server", affected: ["<2.10.0"], fixed: ["2.10.0"], severity: "critical" },
    { id: "CVE-TEN", component: "nats-server", affected: [">=2.10.0-0 <2.10.29"], fixed: ["2.10.29"], severity: "high" },
    { id: "CVE-GO", component: "go-toolchain", affected: ["<1.21.5"], fixed: ["1.21.5"], severity: null },
    ...many,
  ],
});
const releases = ["2.10.27", "2.10.29", "2.11.0"].map((version) => ({ version, date: "2026-01-01", prerelease: false }));
const book = () => new AdvisoryBook(dataset, releases);

let serial = 0;
const server = (version: string): ServerRecord => applyObservation(undefined, observation(`n${++serial}`, version), 1_000).record;

test("applying: the advisories of a version, and of its Go when the Go is given", (t) => {
  const b = book();
  t.deepEqual(b.applying("2.10.27").map((a) => a.id), ["CVE-TEN"]);
  t.deepEqual(b.applying("2.10.27", "go1.21.3").map((a) => a.id), ["CVE-TEN", "CVE-GO"], "asked after the version alone: Go is part of the question");
  t.deepEqual(b.applying("2.10.27").map((a) => a.id), ["CVE-TEN"], "and the version alone is still answered without Go");
  t.deepEqual(b.applying("2.10.29", "go1.21.3").map((a) => a.id), ["CVE-GO"]);
  t.deepEqual(b.applying("2.10.29").map((a) => a.id), []);
});

test("applying remembers each answer: the same version and Go get the same list, also after other questions", (t) => {
  const b = book();
  const first = b.applying("2.10.27");
  const withGo = b.applying("2.10.27", "go1.21.3");
  t.not(first, withGo);
  b.applying("2.9.0");
  b.applying("2.11.0", "go1.22.0");
  t.is(b.applying("2.10.27"), first);
  t.is(b.applying("2.10.27", "go1.21.3"), withGo);
});

test("a summary counts every advisory but lists at most ten ids, with the worst severity", (t) => {
  const b = book();
  t.deepEqual(b.summary("2.1.0"), {
    count: 12,
    ids: ["CVE-OLD", "LOW-01", "LOW-02", "LOW-03", "LOW-04", "LOW-05", "LOW-06", "LOW-07", "LOW-08", "LOW-09"],
    worst_severity: "critical",
  });
  t.deepEqual(b.summary("2.10.29", "go1.21.3"), { count: 1, ids: ["CVE-GO"], worst_severity: null });
  t.deepEqual(b.summary("2.11.0"), { count: 0, ids: [], worst_severity: null });
});

test("affected versions: each affected version once with its server count, oldest first; clean versions left out", (t) => {
  const members = ["2.10.27", "2.11.0", "2.1.0", "2.10.27", "2.10.20", "2.10.27"].map(server);
  t.deepEqual(book().affectedVersions(members), [
    {
      version: "2.1.0",
      servers: 1,
      advisories: 12,
      ids: ["CVE-OLD", "LOW-01", "LOW-02", "LOW-03", "LOW-04", "LOW-05", "LOW-06", "LOW-07", "LOW-08", "LOW-09"],
      worst_severity: "critical",
    },
    { version: "2.10.20", servers: 1, advisories: 1, ids: ["CVE-TEN"], worst_severity: "high" },
    { version: "2.10.27", servers: 3, advisories: 1, ids: ["CVE-TEN"], worst_severity: "high" },
  ]);
});

test("affected versions are ordered whatever the order of the servers", (t) => {
  const expected = ["2.1.0", "2.10.20", "2.10.27"];
  const orders = [
    ["2.1.0", "2.10.20", "2.10.27"],
    ["2.10.27", "2.10.20", "2.1.0"],
    ["2.10.20", "2.10.27", "2.1.0"],
    ["2.10.27", "2.1.0", "2.10.20"],
  ];
  for (const order of orders) t.deepEqual(book().affectedVersions(order.map(server)).map((v) => v.version), expected, order.join(" "));
});

test("affected versions: Go toolchain advisories are not counted, and a clean fleet has none", (t) => {
  const built = applyObservation(undefined, observation("go-old", "2.10.29", { kind: "varz", go: "go1.21.3" }), 1_000).record;
  t.deepEqual(book().affectedVersions([built, server("2.11.0")]), []);
  t.deepEqual(book().affectedVersions([]), []);
});

test("the recommendation is the dataset's, asked once or twice", (t) => {
  const b = book();
  t.is(b.recommended("2.10.20"), "2.10.29");
  t.is(b.recommended("2.10.20"), "2.10.29");
  t.is(b.recommended("2.11.0"), "2.11.0");
  t.is(b.recommended("banana"), undefined);
});
