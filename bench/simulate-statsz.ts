// Publishes STATSZ-shaped advertisements for many simulated servers through the system account,
// as a separate process so that the monitor's ingest is measured, not the publisher's.
// Usage: simulate-statsz.ts URL USER PASS COUNT ROUNDS CHANGE_FRACTION PREFIX [EVERY_MS] [CLUSTERS]
// The last round moves CHANGE_FRACTION of the servers to another version (with ROUNDS 1, the fleet
// starts with that many outliers). Written with a leading "=" (=0.1), that fraction is on the other
// version in every round: rounds that repeat a fleet announced with outliers, changing nothing.
// With EVERY_MS, every server then advertises again once per EVERY_MS, spread evenly, as a real
// fleet does, until the process is stopped (0: not at all).
// The servers are spread over CLUSTERS clusters (default: clusters of 3). Each lists the other members of its
// cluster as routes, as a real server does (a full mesh): a list that named no member made every
// member look dropped by its peers, so the monitor probed every cluster without end, and, as
// simulated servers answer no probe, counted half the fleet unreachable. Each peer is listed four
// times, as 2.10 and later list them (a pool of three routes and one for the system account: seen
// on real 2.10.27 and 2.15.1 clusters of 3), and the rest of the STATSZ is the real server's own
// (its JetStream block included), so an advertisement is as large as a real one (~1.9 KB).
import { connect } from "@nats-io/transport-node";

const [url, user, pass, countText, roundsText, changeText, prefix, everyText, clustersText] = process.argv.slice(2);
const count = Number(countText);
const rounds = Number(roundsText);
const changeEveryRound = changeText!.startsWith("=");
const change = Number(changeEveryRound ? changeText!.slice(1) : changeText);
const every = everyText === undefined ? 0 : Number(everyText);
const clusters = clustersText === undefined ? Math.ceil(count / 3) : Number(clustersText);
const nc = await connect({ servers: url!, user: user!, pass: pass! });
// Fixed, so that a second run of the simulator advertises the same processes, not restarts.
const started = "2026-01-01T00:00:00.000Z";
const enc = new TextEncoder();
/** Route connections to each peer that a 2.10+ STATSZ lists. */
const ROUTES_PER_PEER = 4;
// The real server's STATSZ as the template of everything but the routes: what a server adds
// (the JetStream block, counters) is parsed by the service as it would be in a real fleet.
const real = (await nc.request("$SYS.REQ.SERVER.PING.STATSZ", "", { timeout: 5000 })).json<{ statsz: Record<string, unknown> }>().statsz;
const statszText = JSON.stringify({ ...real, start: started, routes: undefined, gateways: undefined }).slice(0, -1);

const name = (i: number) => `${prefix}-${i}`;
/** Each cluster's route entries, as the servers' STATSZ carries them, stringified once. */
const routeEntries = new Map<number, { name: string; json: string }[]>();
function routesOf(i: number): string {
  const c = i % clusters;
  let entries = routeEntries.get(c);
  if (!entries) {
    entries = [];
    for (let j = c; j < count; j += clusters) {
      const json: string[] = [];
      for (let k = 0; k < ROUTES_PER_PEER; k++) {
        json.push(JSON.stringify({ rid: j * ROUTES_PER_PEER + k, name: name(j), sent: { msgs: 123_456, bytes: 98_765_432 }, received: { msgs: 123_456, bytes: 98_765_432 }, pending: 0 }));
      }
      entries.push({ name: name(j), json: json.join(",") });
    }
    routeEntries.set(c, entries);
  }
  const self = name(i);
  return entries.filter((e) => e.name !== self).map((e) => e.json).join(",");
}

function advertise(i: number, round: number, upgraded: boolean): void {
  const id = `N${prefix}${String(i).padStart(8, "0")}`;
  const server = { name: name(i), host: "10.0.0.1", id, cluster: `c${i % clusters}`, ver: upgraded ? "2.11.1" : "2.10.27", jetstream: true, flags: 3, seq: round, time: new Date().toISOString() };
  // The routes go in as text: stringifying every entry of every advertisement slowed the burst.
  const msg = `{"server":${JSON.stringify(server)},"statsz":${statszText},"routes":[${routesOf(i)}]}}`;
  nc.publish(`$SYS.SERVER.${id}.STATSZ`, enc.encode(msg));
}

/** The servers the change fraction puts on the other version. */
const onOtherVersion = (i: number) => i < count * change;
const t0 = performance.now();
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < count; i++) {
    // In the last round (or every round) a fraction of the servers advertise a new version.
    advertise(i, round, (changeEveryRound || round === rounds - 1) && onOtherVersion(i));
    if (i % 2000 === 0) await nc.flush();
  }
  await nc.flush();
}
process.stdout.write(JSON.stringify({ published: count * rounds, ms: performance.now() - t0 }) + "\n");
if (every > 0) {
  // Steady state: the same servers, unchanged, each once per interval, in slices every 100 ms. A
  // slice is a run of servers in the order they were announced, so that each advertises again at
  // most one interval after its last: with every hundredth server in a slice, one announced early
  // and sliced late stayed silent for the burst plus nearly an interval, past the service's grace,
  // and the service probed its cluster (43,665 probes after a burst of 100,000).
  const slices = Math.max(1, Math.round(every / 100));
  let slice = 0;
  let round = rounds;
  setInterval(() => {
    const from = Math.floor((slice * count) / slices);
    const to = Math.floor(((slice + 1) * count) / slices);
    for (let i = from; i < to; i++) advertise(i, round, onOtherVersion(i));
    slice = (slice + 1) % slices;
    if (slice === 0) round++;
  }, every / slices);
  process.on("SIGTERM", () => void nc.close().then(() => process.exit(0)));
} else {
  await nc.close();
}
