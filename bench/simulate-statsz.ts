// Publishes STATSZ-shaped advertisements for many simulated servers through the system account,
// as a separate process so that the monitor's ingest is measured, not the publisher's.
// Usage: simulate-statsz.ts URL USER PASS COUNT ROUNDS CHANGE_FRACTION PREFIX
import { connect } from "@nats-io/transport-node";

const [url, user, pass, countText, roundsText, changeText, prefix] = process.argv.slice(2);
const count = Number(countText);
const rounds = Number(roundsText);
const change = Number(changeText);
const nc = await connect({ servers: url!, user: user!, pass: pass! });
// Fixed, so that a second run of the simulator advertises the same processes, not restarts.
const started = "2026-01-01T00:00:00.000Z";
const enc = new TextEncoder();
const t0 = performance.now();
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < count; i++) {
    const id = `N${prefix}${String(i).padStart(8, "0")}`;
    // In the last round a fraction of the servers advertise a new version (an upgrade).
    const upgraded = round === rounds - 1 && i < count * change;
    const msg = {
      server: { name: `${prefix}-${i}`, host: "10.0.0.1", id, cluster: `c${i % 20}`, ver: upgraded ? "2.11.1" : "2.10.27", jetstream: true, flags: 3, seq: round, time: new Date().toISOString() },
      statsz: { start: started, mem: 52_000_000, cores: 8, cpu: 2.5, connections: 40, total_connections: 900, active_accounts: 3, subscriptions: 1200, sent: { msgs: 1e6, bytes: 2e8 }, received: { msgs: 1e6, bytes: 2e8 }, slow_consumers: 0, routes: [{ rid: 1, name: `${prefix}-peer`, sent: { msgs: 1, bytes: 1 }, received: { msgs: 1, bytes: 1 }, pending: 0 }] },
    };
    nc.publish(`$SYS.SERVER.${id}.STATSZ`, enc.encode(JSON.stringify(msg)));
    if (i % 2000 === 0) await nc.flush();
  }
  await nc.flush();
}
process.stdout.write(JSON.stringify({ published: count * rounds, ms: performance.now() - t0 }) + "\n");
await nc.close();
