// Publishes STATSZ-shaped advertisements for many simulated servers through the system account,
// as a separate process so that the monitor's ingest is measured, not the publisher's.
// Usage: simulate-statsz.ts URL USER PASS COUNT ROUNDS CHANGE_FRACTION PREFIX [EVERY_MS] [CLUSTERS]
// The last round moves CHANGE_FRACTION of the servers to another version (with ROUNDS 1, the fleet
// starts with that many outliers). With EVERY_MS, every server then advertises again once per
// EVERY_MS, spread evenly, as a real fleet does, until the process is stopped (0: not at all).
// The servers are spread over CLUSTERS clusters (default 20).
import { connect } from "@nats-io/transport-node";

const [url, user, pass, countText, roundsText, changeText, prefix, everyText, clustersText] = process.argv.slice(2);
const count = Number(countText);
const rounds = Number(roundsText);
const change = Number(changeText);
const every = everyText === undefined ? 0 : Number(everyText);
const clusters = clustersText === undefined ? 20 : Number(clustersText);
const nc = await connect({ servers: url!, user: user!, pass: pass! });
// Fixed, so that a second run of the simulator advertises the same processes, not restarts.
const started = "2026-01-01T00:00:00.000Z";
const enc = new TextEncoder();

function advertise(i: number, round: number, upgraded: boolean): void {
  const id = `N${prefix}${String(i).padStart(8, "0")}`;
  const msg = {
    server: { name: `${prefix}-${i}`, host: "10.0.0.1", id, cluster: `c${i % clusters}`, ver: upgraded ? "2.11.1" : "2.10.27", jetstream: true, flags: 3, seq: round, time: new Date().toISOString() },
    statsz: { start: started, mem: 52_000_000, cores: 8, cpu: 2.5, connections: 40, total_connections: 900, active_accounts: 3, subscriptions: 1200, sent: { msgs: 1e6, bytes: 2e8 }, received: { msgs: 1e6, bytes: 2e8 }, slow_consumers: 0, routes: [{ rid: 1, name: `${prefix}-peer`, sent: { msgs: 1, bytes: 1 }, received: { msgs: 1, bytes: 1 }, pending: 0 }] },
  };
  nc.publish(`$SYS.SERVER.${id}.STATSZ`, enc.encode(JSON.stringify(msg)));
}

const upgradedInLastRound = (i: number) => i < count * change;
const t0 = performance.now();
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < count; i++) {
    // In the last round a fraction of the servers advertise a new version (an upgrade).
    advertise(i, round, round === rounds - 1 && upgradedInLastRound(i));
    if (i % 2000 === 0) await nc.flush();
  }
  await nc.flush();
}
process.stdout.write(JSON.stringify({ published: count * rounds, ms: performance.now() - t0 }) + "\n");
if (every > 0) {
  // Steady state: the same servers, unchanged, each once per interval, in slices every 100 ms.
  const slices = Math.max(1, Math.round(every / 100));
  let slice = 0;
  let round = rounds;
  setInterval(() => {
    for (let i = slice; i < count; i += slices) advertise(i, round, upgradedInLastRound(i));
    slice = (slice + 1) % slices;
    if (slice === 0) round++;
  }, every / slices);
  process.on("SIGTERM", () => void nc.close().then(() => process.exit(0)));
} else {
  await nc.close();
}
