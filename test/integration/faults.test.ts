import test from "ava";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import { decodeMismatchRecord } from "../../src/core/mismatch-record.js";
import { encodeKeyToken } from "../../src/core/server-key.js";
import type { VersionReport } from "../../src/core/version-report.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import { connectAs, startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { spawnCli } from "../helpers/cli.js";
import { EventLog, eventsSettled } from "../helpers/events.js";

// The service as operators run it (a process), on a cluster that is upgraded under it.
const [oldest, middle, newest] = threeVersions();
const ctx = {} as { cluster: LocalCluster; serve: ReturnType<typeof spawnCli>; client: NatsConnection; events: EventLog };

const serve = () =>
  spawnCli(["serve", "--poll-interval", "2s"], {
    NATS_URL: ctx.cluster.urls.join(","),
    NATS_USER: users.monitor.user,
    NATS_PASSWORD: users.monitor.pass,
    NATS_SYS_USER: users.monitorSys.user,
    NATS_SYS_PASSWORD: users.monitorSys.pass,
  });

const ask = async (body = "", timeout = 1000) => {
  const msg = await ctx.client.request("versions.report", body, { timeout });
  if (msg.headers?.get("Nats-Service-Error")) throw new Error(msg.headers.get("Nats-Service-Error"));
  return msg.json<VersionReport>();
};

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "fault", binaries: [oldest.path, middle.path, middle.path] }]);
  ctx.client = await connectAs(ctx.cluster, users.app);
  ctx.events = new EventLog(ctx.client);
  await ctx.client.flush();
  ctx.serve = serve();
});

test.after.always(async () => {
  ctx.serve?.kill("SIGKILL");
  ctx.events?.stop();
  await ctx.client?.close();
  await stopCluster(ctx.cluster);
});

test.serial("SIGKILL and restart: first-seen and mismatch start unchanged, no duplicate events", async (t) => {
  const before = await waitUntil("a report of three servers with its mismatch recorded", async () => {
    const r = await ask().catch(() => undefined);
    return r && r.server_count === 3 && ctx.events.types("cluster:fault").includes("detected") ? r : undefined;
  });
  const eventsBefore = ctx.events.all.length;
  ctx.serve.kill("SIGKILL");
  await ctx.serve.done;
  ctx.serve = serve();
  const after = await waitUntil("the restarted service", () => ask().catch(() => undefined));
  // Until the restarted service has judged the fleet twice and every stored event has arrived: a
  // duplicate would have been published by then.
  await eventsSettled(ctx.client, ctx.events);
  t.is(after.since, before.since);
  t.truthy(after.since);
  // The start is the durable one from the scope's KV record, not a fresh estimate.
  const nc = await connectAs(ctx.cluster, users.monitor);
  t.teardown(() => nc.close());
  const kv = await new Kvm(nc).open("version-monitor");
  const stored = decodeMismatchRecord((await kv.get(`mismatch.${encodeKeyToken("system")}`))!.value)!;
  t.is(new Date(stored.since!).toISOString(), after.since!);
  t.is(stored.state, after.state);
  t.deepEqual(after.servers.map((s) => [s.name, s.first_seen]), before.servers.map((s) => [s.name, s.first_seen]));
  t.is(ctx.events.all.length, eventsBefore, ctx.events.all.slice(eventsBefore).map((e) => e.event.type).join(", "));
});

test.serial("a client asks every 100 ms while all three servers are upgraded: no request fails after one retry", async (t) => {
  let asked = 0;
  let retried = 0;
  let failed = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      asked++;
      try {
        await ask();
      } catch {
        retried++;
        await new Promise((r) => setTimeout(r, 250));
        await ask().catch(() => failed++);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  for (const name of ["fault-1", "fault-2", "fault-3"]) {
    const server = ctx.cluster.server(name);
    await server.lameDuck();
    await server.start(newest.path);
    await ctx.cluster.waitReady();
  }
  const final = await waitUntil("the consistent report", async () => {
    const r = await ask().catch(() => undefined);
    return r?.consistent && r.server_count === 3 ? r : undefined;
  }, 20_000);
  polling = false;
  await poller;
  t.log(`${asked} requests during the upgrade, ${retried} retried, ${failed} failed after the retry`);
  t.is(failed, 0);
  // Lame duck hands the clients over: at most the one request in flight while a server leaves may need asking again.
  t.true(retried <= 3, `${retried} retries for 3 servers taken down`);
  t.is(final.target, newest.version);
  t.is(final.state, "consistent");
  await waitUntil("the resolved event", () => (ctx.events.types("cluster:fault").includes("resolved") ? true : undefined));
  const types = ctx.events.types("cluster:fault");
  t.is(types.filter((x) => x === "resolved").length, 1, types.join(", "));
  t.is(types.at(-1), "resolved");
});
