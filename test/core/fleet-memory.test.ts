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

/** The heap and the typed arrays' memory outside it (the fleet's columns live there). */
const held = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

// The budget is 1 KiB of heap per server for the service, whose two threads (ingest and the
// report worker) each keep a fleet. Here every server has a 56-character id, a host of its own, a
// route and a gateway: about 510 B, of which the strings and route lists alone are 200. Records
// held as objects cost 994 B here; section 8 of the bench measures the running service.
test("steady state: a fleet of servers that have each advertised three times holds at most 560 B per server, heap and columns", (t) => {
  const now = 1_800_000_000_000;
  gc();
  const before = held();
  const fleet = new Fleet({ offlineAfterMs: 3_600_000 });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < servers; i++) fleet.observe(advertisement(i, now), now + round * 10_000);
    for (const c of fleet.clusterNames()) fleet.digest(c, now + round * 10_000);
  }
  gc();
  const perServer = (held() - before) / servers;
  t.is(fleet.size, servers);
  t.log(`${Math.round(perServer)} B per server`);
  t.true(perServer <= 560, `${Math.round(perServer)} B per server`);
});
