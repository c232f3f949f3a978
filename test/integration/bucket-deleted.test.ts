import test from "ava";
import { Kvm } from "@nats-io/kv";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { decodeMismatchRecord } from "../../src/core/mismatch-record.js";
import { decodeServerRecord } from "../../src/core/server-record-codec.js";
import type { VersionReport } from "../../src/core/version-report.js";
import { VersionMonitor } from "../../src/monitor.js";
import { captureLogger, connectAs, monitorConfig, startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";

const [oldest, middle, newest] = threeVersions();

/** Every live key of the bucket: servers by first-seen time, mismatch records by since. */
async function contents(nc: NatsConnection): Promise<Record<string, number>> {
  const kv = await new Kvm(nc).open("version-monitor");
  const out: Record<string, number> = {};
  for await (const key of await kv.keys()) {
    const e = await kv.get(key);
    if (!e || e.operation !== "PUT") continue;
    if (key.startsWith("servers.")) out[key] = decodeServerRecord(e.value).firstSeen;
    if (key.startsWith("mismatch.")) out[key] = decodeMismatchRecord(e.value)?.since ?? -1;
  }
  return out;
}

test("the bucket's stream deleted while running: created again within seconds, everything written back, said once", async (t) => {
  const cluster = await startCluster([{ name: "lost", binaries: [oldest.path, middle.path, newest.path] }]);
  t.teardown(() => stopCluster(cluster));
  const admin = await connectAs(cluster, users.admin);
  t.teardown(() => admin.close());
  const { log, lines } = captureLogger("info");
  let monitor = await VersionMonitor.start({ config: monitorConfig(cluster, { "poll-interval": "1s" }), log });
  t.teardown(() => monitor.stop());

  // Three servers and the mismatch records of a mixed cluster (system and cluster scope).
  const before = await waitUntil("servers and mismatch records stored", async () => {
    const c = await contents(admin).catch(() => ({}) as Record<string, number>);
    const keys = Object.keys(c);
    return keys.filter((k) => k.startsWith("servers.")).length === 3 && keys.filter((k) => k.startsWith("mismatch.")).length === 2 ? c : undefined;
  }, 30_000);

  const deletedAt = Date.now();
  await (await jetstreamManager(admin)).streams.delete("KV_version-monitor");
  const after = await waitUntil("the bucket back with everything in it", async () => {
    const c = await contents(admin).catch(() => undefined);
    return c && Object.keys(c).length === Object.keys(before).length ? c : undefined;
  }, 20_000);
  t.log(`back after ${Date.now() - deletedAt} ms`);
  t.deepEqual(after, before, "first-seen times and mismatch starts written back unchanged");
  const said = lines().filter((l) => /bucket was deleted/.test(String(l["msg"])));
  t.is(said.length, 1, JSON.stringify(said));
  t.is(said[0]!["level"], 50);
  t.is(said[0]!["servers"], 3);
  t.is(said[0]!["mismatch_records"], 2);
  // Reports are rendered off the request path: the warning is in one within a rendering or two.
  const report = await waitUntil("the warning in the report", async () => {
    const answer = (await admin.request("versions.report", "", { timeout: 2000 })).json<VersionReport>();
    return answer.warnings.some((w) => w.kind === "bucket-recreated") ? answer : undefined;
  }, 1000, 20);

  // Nothing more about it while it keeps running (no warning loop).
  await new Promise((r) => setTimeout(r, 3000));
  t.is(lines().filter((l) => /bucket/.test(String(l["msg"]))).length, 1);
  t.is(lines().filter((l) => l["msg"] === "KV write failed; retrying in 1s").length <= 3, true, "at most a few failed writes before it noticed");

  // A restart of the service reads the first-seen times back.
  const firstSeen = Object.fromEntries(report.servers.map((s) => [s.name, s.first_seen]));
  await monitor.stop();
  monitor = await VersionMonitor.start({ config: monitorConfig(cluster, { "poll-interval": "1s" }), log: captureLogger("warn").log });
  await waitUntil("all three again", () => (monitor.report().server_count === 3 ? true : undefined), 15_000);
  t.deepEqual(Object.fromEntries(monitor.report().servers.map((s) => [s.name, s.first_seen])), firstSeen);
});
