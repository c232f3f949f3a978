import test from "ava";
import { Collector } from "../../src/nats/collector.js";
import { PingRounds } from "../../src/core/ping-rounds.js";
import type { ServerObservation } from "../../src/core/observation.js";
import { captureLogger, connectAs, startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { SimulatedServers } from "../helpers/simulated-servers.js";

const [, , newest] = threeVersions();

// Advertisements are read at once and processed in slices; a backlog past its bound drops new
// ones. Nothing may be dropped silently: counted, said, and made up for by a ping of every server.
test("a backlog past its bound drops new advertisements, counts and says so, then pings every server", async (t) => {
  const cluster = await startCluster([{ name: "backlog", binaries: [newest.path] }]);
  t.teardown(() => stopCluster(cluster));
  const sys = await connectAs(cluster, users.sys);
  t.teardown(() => sys.close());
  const { log, lines } = captureLogger("info");
  const seen: ServerObservation[] = [];
  const rounds = new PingRounds();
  const collector = new Collector(sys, {
    pollIntervalMs: 3_600_000,
    log,
    onObservation: (obs) => void seen.push(obs),
    now: Date.now,
    rounds,
    probeTargets: () => [],
    onProbe: () => undefined,
    maxQueued: 20,
  });
  await collector.start();
  t.teardown(() => collector.stop());
  await waitUntil("the real server's answer to the first ping", () => (seen.some((o) => !o.name.startsWith("flood")) ? true : undefined), 10_000);
  const pings = collector.stats.pings;
  const real = seen.length;

  const publisher = await connectAs(cluster, users.sys);
  t.teardown(() => publisher.close());
  const sim = new SimulatedServers(publisher);
  for (let i = 0; i < 2000; i++) sim.add(`flood-${i}`, "f", newest.version);
  sim.advertiseAll();
  await publisher.flush();

  // Every advertisement is either processed or counted as dropped: none is lost without a trace.
  const accounted = () => collector.stats.received.stats + collector.stats.dropped >= real + 2000;
  await waitUntil("every advertisement accounted for, the backlog gone, every server pinged", () => (accounted() && collector.stats.queued === 0 && collector.stats.pings > pings ? true : undefined), 20_000);
  t.true(collector.stats.dropped > 0, `dropped ${collector.stats.dropped}`);
  t.true(lines().some((l) => String(l["msg"]).startsWith("advertisements arrive faster than they are processed") && l["level"] === 40), "said once, as a warning");
  t.true(lines().some((l) => String(l["msg"]).startsWith("backlog processed; pinging every server")));
  // The real server answers the ping that made up for the loss (the latest round).
  const realName = seen.find((o) => !o.name.startsWith("flood"))!.name;
  await waitUntil("the real server's answer to that ping", () => (rounds.last(Date.now() + 60_000)?.answered.has(realName) ? true : undefined), 10_000);
});
