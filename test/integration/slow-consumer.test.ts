import test from "ava";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VersionMonitor } from "../../src/monitor.js";
import { captureLogger, connectAs, monitorConfig, startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { SimulatedServers } from "../helpers/simulated-servers.js";
import { tempDir } from "../helpers/temp-dir.js";

const [, middle, newest] = threeVersions();

// A server closes a connection that falls behind ("Slow Consumer Detected"): here the limits are
// small (64 KiB pending, a 200 ms write deadline) and a flood of advertisements is more than the
// monitor reads in time. The loss must not be silent, and the picture must come back complete.
test("a flood that makes the system connection a slow consumer is counted, said, and recovered from", async (t) => {
  const dir = tempDir("nvm-slow-");
  const accounts = join(dir, "accounts.conf");
  writeFileSync(accounts, readFileSync(new URL("../../nats-conf/accounts.conf", import.meta.url), "utf8") + "\nmax_payload: 32768\nmax_pending: 65536\nwrite_deadline: \"200ms\"\n");
  const cluster = await startCluster([{ name: "slow", binaries: [newest.path, middle.path] }], "", accounts);
  t.teardown(() => stopCluster(cluster));
  const { log, lines } = captureLogger("info");
  const monitor = await VersionMonitor.start({ config: monitorConfig(cluster, { "offline-after": "10m" }), log });
  t.teardown(() => monitor.stop());
  await waitUntil("both real servers", () => (monitor.report().server_count === 2 ? true : undefined), 20_000);

  const sys = await connectAs(cluster, users.sys);
  t.teardown(() => sys.close());
  const sim = new SimulatedServers(sys);
  for (let i = 0; i < 500; i++) sim.add(`flood-${i}`, `f${i % 5}`, newest.version);
  // 40 rounds of 500 advertisements, as fast as the publisher goes: far more than 64 KiB in flight.
  for (let round = 0; round < 40; round++) sim.advertiseAll();
  await sys.flush();

  await waitUntil("the connection lost and counted", () => (monitor.collector.stats.disconnects >= 1 ? true : undefined), 20_000);
  const said = lines().filter((l) => String(l["msg"]).startsWith("system connection lost"));
  t.true(said.length >= 1);
  t.regex(String(said[0]!["msg"]), /advertisements in flight are lost: if the server's log says Slow Consumer/);
  t.is(said[0]!["level"], 40);
  t.is(monitor.stats()["ingest"] !== undefined, true);
  t.true((monitor.stats()["ingest"] as { disconnects: number }).disconnects >= 1, "in nats micro stats too");
  const log1 = readFileSync(join(cluster.servers[0]!.dir, "server.1.log"), "utf8") + readFileSync(join(cluster.servers[1]!.dir, "server.1.log"), "utf8");
  t.regex(log1, /Slow Consumer Detected/, "the server really closed it for falling behind");

  // Back: the real servers answer the ping after the reconnect; the simulated ones at their next advertisement.
  await waitUntil("reconnected and pinged", () => (lines().some((l) => l["msg"] === "system connection reconnected; pinging all servers") ? true : undefined), 20_000);
  // Real servers advertise on their own every 10 s, spread out; here the unknown ones, 50 at a time
  // (a burst of all 500 could itself exceed 64 KiB on a loaded machine), until each is known.
  await waitUntil("every server known", async () => {
    const unknown = [...sim.servers.keys()].filter((name) => !monitor.fleet.get(name));
    for (let i = 0; i < unknown.length; i += 50) {
      for (const name of unknown.slice(i, i + 50)) sim.advertise(name);
      await sys.flush();
      await new Promise((r) => setTimeout(r, 20));
    }
    return monitor.report().server_count === 502 ? true : undefined;
  }, 30_000, 500);
  t.deepEqual(monitor.report().groups.map((g) => [g.version, g.count]), [[newest.version, 501], [middle.version, 1]]);
});
