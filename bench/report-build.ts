// Profiling aid: builds whole-system and one-cluster reports from an in-memory fleet (no I/O).
// Usage: node --import tsx bench/report-build.ts SERVERS CLUSTERS
import { Fleet } from "../src/core/fleet.js";
import { ObservationKind } from "../src/core/observation.js";
import { parseVersion } from "../src/core/version.js";
import { buildReport } from "../src/core/version-report.js";
import { unreachableServers } from "../src/core/reachability.js";
import { assessVisibility } from "../src/core/visibility.js";

const servers = Number(process.argv[2] ?? 10000);
const clusters = Number(process.argv[3] ?? 20);
const fleet = new Fleet({ offlineAfterMs: 3_600_000 });
const now = Date.now();
const main = parseVersion("2.10.27")!;
const other = parseVersion("2.9.10")!;
for (let i = 0; i < servers; i++) {
  const cluster = `c${i % clusters}`;
  fleet.observe({ kind: ObservationKind.Stats, name: `s${i}`, id: `ID${i}`, cluster, domain: "", host: "127.0.0.1", version: i % 10 === 0 ? other : main, startedAt: now - 3_600_000 * 30,
    statsz: { routes: [], gateways: [], connections: 1, jetstream: true } }, now - 1000);
}
function time(label: string, f: () => unknown, n = 5): void {
  const t: number[] = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); f(); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  console.log(label, t.map((x) => x.toFixed(1)).join(" "));
}
time("unreachable", () => unreachableServers(fleet, now, true));
time("visibility", () => assessVisibility(fleet, undefined, new Map(), now));
time("system", () => JSON.stringify(buildReport(fleet, now, {})));
time("cluster", () => JSON.stringify(buildReport(fleet, now, { cluster: "c1" })));
import { analyzeScopes } from "../src/core/scope-analysis.js";
import { defaultMismatchPolicy } from "../src/core/mismatch-policy.js";
import { summarizeVersions } from "../src/core/version-summary.js";
time("analyzeScopes", () => analyzeScopes(fleet, now, defaultMismatchPolicy, () => undefined));
time("summarize all", () => summarizeVersions(fleet.records()));
