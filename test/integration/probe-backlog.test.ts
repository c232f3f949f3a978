import test from "ava";
import { BEHIND_BACKLOG, Collector } from "../../src/nats/collector.js";
import { PingRounds } from "../../src/core/ping-rounds.js";
import { connectAs, startCluster, stopCluster, threeVersions, users, waitUntil, captureLogger } from "../helpers/cluster.js";
import { SimulatedServers } from "../helpers/simulated-servers.js";

const [, , newest] = threeVersions();

// A server counts as heard when its advertisement is taken in: while thousands wait, silence is
// the service's own lag, and a probe (a request to every server) would only add to the load.
test("no cluster is probed while a backlog of advertisements waits; probing resumes once it is gone", async (t) => {
  const cluster = await startCluster([{ name: "probes", binaries: [newest.path] }]);
  t.teardown(() => stopCluster(cluster));
  const sys = await connectAs(cluster, users.sys);
  t.teardown(() => sys.close());
  let slow = false;
  const probedWhileQueued: number[] = [];
  let collector: Collector | undefined = undefined;
  collector = new Collector(sys, {
    pollIntervalMs: 3_600_000,
    log: captureLogger("warn").log,
    // Taking an advertisement in costs 1 ms while the flood lasts: 4,000 make a backlog of seconds.
    onObservation: () => {
      if (!slow) return;
      const end = performance.now() + 1;
      while (performance.now() < end);
    },
    now: Date.now,
    rounds: new PingRounds(),
    probeTargets: () => ["flood"],
    onProbe: () => void probedWhileQueued.push(collector!.stats.queued),
  });
  await collector.start();
  t.teardown(() => collector!.stop());
  await waitUntil("a first probe", () => (probedWhileQueued.length > 0 ? true : undefined), 10_000);

  const publisher = await connectAs(cluster, users.sys);
  t.teardown(() => publisher.close());
  const sim = new SimulatedServers(publisher);
  for (let i = 0; i < 4000; i++) sim.add(`flood-${i}`, "flood", newest.version);
  slow = true;
  probedWhileQueued.length = 0;
  sim.advertiseAll();
  await publisher.flush();
  await waitUntil("a backlog", () => (collector!.stats.queued > BEHIND_BACKLOG ? true : undefined), 10_000, 5);
  const backlogSeenAt = performance.now();
  await waitUntil("the backlog gone", () => (collector!.stats.queued === 0 ? true : undefined), 30_000, 5);
  t.true(performance.now() - backlogSeenAt > 1500, "the backlog lasted several probe ticks");
  slow = false;
  await waitUntil("probing again", () => (probedWhileQueued.length > 0 ? true : undefined), 5_000);
  t.deepEqual(probedWhileQueued.filter((q) => q > BEHIND_BACKLOG), [], `queued at each probe: ${probedWhileQueued.join(", ")}`);
});
