import test from "ava";
import { parseVersion } from "../../src/core/version.js";
import { encodeServerKey } from "../../src/core/server-key.js";
import { ObservationKind } from "../../src/core/observation.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { EventLog } from "../helpers/events.js";

// A cluster whose servers all vanish while it has a mismatch (decommissioned, renamed) must be
// resolved, not left "stalled" forever. Its servers are fed to the fleet directly; the KV records,
// the events and the real server that keeps the monitor's view non-empty are real.
const [, , newest] = threeVersions();

test("a cluster that disappears with a mismatch is resolved once its servers are offline", async (t) => {
  const cluster = await startCluster([{ name: "solo", binaries: [newest.path] }]);
  t.teardown(() => stopCluster(cluster));
  const client = await connectAs(cluster, users.app);
  t.teardown(() => client.close());
  const events = new EventLog(client);
  await client.flush();
  let offset = 0;
  const monitor = await startMonitor(cluster, { "poll-interval": "500ms", "offline-after": "10s", "evaluate-interval": "200ms", "forget-after": "60s" }, () => Date.now() + offset);
  t.teardown(() => monitor.stop());
  await waitUntil("the real server", () => (monitor.report().server_count === 1 ? true : undefined));

  for (const [name, version] of [["ghost-1", "2.10.27"], ["ghost-2", "2.11.0"]] as const) {
    const { record } = monitor.fleet.observe(
      { kind: ObservationKind.Stats, name, id: `N${name}`, cluster: "ghost", domain: "", host: "10.0.0.9", version: parseVersion(version)!, startedAt: Date.now() + offset - 3_600_000 },
      Date.now() + offset,
    );
    monitor.store.save(record);
  }
  monitor.tracker.requestEvaluation();
  await waitUntil("ghost detected", () => (events.types("cluster:ghost").includes("detected") ? true : undefined));

  offset += 20_000;
  await waitUntil("ghost resolved", () => (events.types("cluster:ghost").includes("resolved") ? true : undefined));
  t.deepEqual(events.types("cluster:ghost"), ["detected", "resolved"]);
  t.is(monitor.tracker.record("cluster:ghost")?.state, "consistent");
  t.is(monitor.report().server_count, 1, "the real server is still a member");
  await monitor.store.flush();
  t.truthy(await monitor.store.kv.get(encodeServerKey("ghost-1")), "stored while remembered");

  // Past the forget window the vanished servers leave memory and the bucket; the live one stays.
  offset += 60_000;
  await waitUntil("the real server heard from again", () => (monitor.report().server_count === 1 ? true : undefined));
  t.deepEqual((await monitor.forgetSilentServers()).sort(), ["ghost-1", "ghost-2"]);
  t.is(monitor.fleet.get("ghost-1"), undefined);
  t.truthy(monitor.fleet.get("solo-1"));
  t.is((await monitor.store.kv.get(encodeServerKey("ghost-1")))?.operation, "DEL");
  t.false((await monitor.store.loadAll()).some((r) => r.name.startsWith("ghost")));
});
