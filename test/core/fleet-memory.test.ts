import test from "ava";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Fleet } from "../../src/core/fleet.js";
import { ObservationKind, type ServerObservation } from "../../src/core/observation.js";
import { parseVersion } from "../../src/core/version.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const servers = 20_000;
const clusters = 200;

/** An advertisement as the report worker receives it: a structured clone, every string its own copy. */
function advertisement(i: number, now: number): ServerObservation {
  return structuredClone({
    kind: ObservationKind.Stats,
    name: `edge-${i}`,
    id: `N${i.toString(36).toUpperCase()}`.padEnd(56, "X"),
    cluster: `c${i % clusters}`,
    domain: "",
    host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    version: parseVersion(Math.floor(i / clusters) % 10 === 0 ? "2.11.1" : "2.10.27")!,
    go: "go1.22.8",
    gitCommit: "a1b2c3d",
    startedAt: now - 3_600_000,
    statsz: { routes: [`edge-${i % clusters === 0 ? i + clusters : i - clusters}`], gateways: ["hub-east"], connections: 40, jetstream: true },
  });
}

// The budget is 1 KiB of heap per server. Before the route lists, the string pool and the
// in-place refresh, this fleet held 1.4 KiB per server once every server had advertised twice.
test("steady state: a fleet of servers that have each advertised three times holds at most 1 KiB of heap per server", (t) => {
  const now = 1_800_000_000_000;
  gc();
  const before = process.memoryUsage().heapUsed;
  const fleet = new Fleet({ offlineAfterMs: 3_600_000 });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < servers; i++) fleet.observe(advertisement(i, now), now + round * 10_000);
    for (const c of fleet.clusterNames()) fleet.digest(c, now + round * 10_000);
  }
  gc();
  const perServer = (process.memoryUsage().heapUsed - before) / servers;
  t.is(fleet.size, servers);
  t.log(`${Math.round(perServer)} B per server`);
  t.true(perServer <= 1024, `${Math.round(perServer)} B per server`);
});
