import test from "ava";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { decodeServerRecord } from "../../src/core/server-record-codec.js";
import { encodeServerKey } from "../../src/core/server-key.js";
import type { VersionReport } from "../../src/core/version-report.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";

const [oldest, middle, newest] = threeVersions();

async function firstSeenTimes(nc: NatsConnection, names: string[]): Promise<Record<string, number>> {
  const kv = await new Kvm(nc).open("version-monitor");
  const out: Record<string, number> = {};
  for (const n of names) {
    const e = await kv.get(encodeServerKey(n));
    if (e && e.operation === "PUT") out[n] = decodeServerRecord(e.value).firstSeen;
  }
  return out;
}

test("SIGKILL of two of three servers: unreachable within 15 s, answered from the survivor; back to running after a restart, bucket intact", async (t) => {
  // The survivor is the 2.9 server, which advertises only every 30 s: the monitor has to ask.
  const cluster = await startCluster([{ name: "dark", binaries: [oldest.path, middle.path, newest.path] }]);
  t.teardown(() => stopCluster(cluster));
  // Default --poll-interval (30 s): detection must not wait for the next poll.
  // The system connection stays on the survivor: no reconnect (and its ping) gives the deaths away.
  const monitor = await startMonitor(cluster, { "sys-server": cluster.server("dark-1").clientUrl });
  t.teardown(() => monitor.stop());
  const client = await connectAs(cluster, users.app);
  t.teardown(() => client.close());
  const admin = await connectAs(cluster, users.admin);
  t.teardown(() => admin.close());
  const names = ["dark-1", "dark-2", "dark-3"];
  const ask = async () => (await client.request("versions.report", "", { timeout: 2000 })).json<VersionReport>();

  await waitUntil("all three running and saved", async () => {
    const r = await ask().catch(() => undefined);
    const saved = await firstSeenTimes(admin, names).catch(() => ({}));
    return r?.servers.filter((s) => s.state === "running").length === 3 && Object.keys(saved).length === 3 ? true : undefined;
  }, 30_000);
  const before = await firstSeenTimes(admin, names);
  t.is(monitor.stats()["visibility"] !== undefined, true);

  // Let the servers settle into their regular advertisement interval, as in production.
  await new Promise((r) => setTimeout(r, 12_000));
  const killedAt = Date.now();
  cluster.server("dark-2").kill();
  cluster.server("dark-3").kill();
  const seen = await waitUntil("both killed servers unreachable", async () => {
    const r = await ask().catch(() => undefined);
    const dark = r?.servers.filter((s) => s.state === "unreachable").map((s) => s.name).sort();
    return dark?.join() === "dark-2,dark-3" ? r : undefined;
  }, 20_000);
  const took = Date.now() - killedAt;
  t.log(`unreachable after ${took} ms`);
  t.true(took <= 15_000, `took ${took} ms`);
  t.is(seen.server_count, 3, "still members on their versions until --offline-after");
  t.deepEqual(seen.offline, []);
  t.truthy(seen.servers.find((s) => s.name === "dark-2")?.unreachable_since);
  t.deepEqual(seen.warnings.filter((w) => w.kind === "unreachable").map((w) => w.server).sort(), ["dark-2", "dark-3"]);
  // What `nats micro stats version-monitor` shows.
  const micro = (await client.request("$SRV.STATS.version-monitor", "", { timeout: 2000 })).json<{ endpoints: { data: { visibility: { unreachable: string[]; expected_servers: number; not_answering: string[] } } }[] }>();
  const stats = micro.endpoints[0]!.data.visibility;
  t.deepEqual([...stats.unreachable].sort(), ["dark-2", "dark-3"], "nats micro stats says so too");
  t.is(stats.expected_servers, 3);

  await Promise.all([cluster.server("dark-2").start(), cluster.server("dark-3").start()]);
  await waitUntil("both running again", async () => {
    const r = await ask().catch(() => undefined);
    return r?.servers.filter((s) => s.state === "running").length === 3 ? true : undefined;
  }, 30_000);
  await cluster.waitReady();
  const after = await waitUntil("the bucket readable again", () => firstSeenTimes(admin, names).then((x) => (Object.keys(x).length === 3 ? x : undefined), () => undefined), 30_000);
  t.deepEqual(after, before, "first-seen times survive");
  // The next ping round is answered by all three.
  monitor.collector.ping();
  await waitUntil("every server answers the ping", () => {
    const v = monitor.visibility();
    return v.lastPing?.answered === 3 && v.notAnswering.length === 0 ? true : undefined;
  }, 10_000);
});
