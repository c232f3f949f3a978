import test from "ava";
import type { NatsConnection } from "@nats-io/nats-core";
import type { VersionReport } from "../../src/core/version-report.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { EventLog, eventsSettled } from "../helpers/events.js";

// Two clusters joined by gateways, each on its own version, and one server in "west" that runs
// east's version: the report and the events are per cluster and for the whole system.
const [, middle, newest] = threeVersions();
const ctx = {} as { cluster: LocalCluster; monitor: VersionMonitor; client: NatsConnection; events: EventLog };

test.before(async () => {
  ctx.cluster = await startCluster([
    { name: "east", binaries: [middle.path, middle.path] },
    { name: "west", binaries: [newest.path, newest.path, middle.path] },
  ]);
  ctx.client = await connectAs(ctx.cluster, users.app);
  ctx.events = new EventLog(ctx.client);
  await ctx.client.flush();
  ctx.monitor = await startMonitor(ctx.cluster);
});

test.after.always(async () => {
  ctx.events?.stop();
  await ctx.client?.close();
  await ctx.monitor?.stop();
  await stopCluster(ctx.cluster);
});

const ask = async (body = "") => (await ctx.client.request("versions.report", body, { timeout: 5000 })).json<VersionReport>();

test.serial("the report is per cluster and for the whole system", async (t) => {
  const r = await waitUntil("all five servers", async () => {
    const rep = await ask();
    return rep.server_count === 5 ? rep : undefined;
  });
  // System: three on the middle version, two on the newest.
  t.is(r.target, middle.version);
  t.deepEqual(r.outliers.map((o) => [o.name, o.cluster, o.direction]), [
    ["west-1", "west", "newer"],
    ["west-2", "west", "newer"],
  ]);
  const east = r.clusters.find((c) => c.name === "east")!;
  const west = r.clusters.find((c) => c.name === "west")!;
  t.like(east, { server_count: 2, target: middle.version, consistent: true, state: "consistent" });
  t.like(west, { server_count: 3, target: newest.version, consistent: false, state: "rolling-upgrade" });
  t.deepEqual(west.outliers, ["west-3"], "the server that runs another cluster's version is visible in its own cluster");
  // Routes and gateways as the servers list them: five servers, two clusters, all seen.
  const seen = await waitUntil("every server's routes and gateways known", async () => {
    const rep = await ask();
    return rep.visibility.expected_clusters === 2 && rep.visibility.expected_servers === 5 ? rep.visibility : undefined;
  }, 15_000);
  t.deepEqual(seen.unseen_clusters, []);
  t.is(seen.unreachable, 0);

  const westOnly = await ask(JSON.stringify({ cluster: "west" }));
  t.is(westOnly.target, newest.version);
  t.deepEqual(westOnly.outliers.map((o) => [o.name, o.direction]), [["west-3", "older"]]);
  t.deepEqual(westOnly.servers.map((s) => s.name), ["west-1", "west-2", "west-3"]);
});

test.serial("events: one for the system, one for the mismatched cluster, none for the consistent one", async (t) => {
  await waitUntil("system and west detected", () =>
    ctx.events.of("system").length > 0 && ctx.events.of("cluster:west").length > 0 ? true : undefined,
  );
  await eventsSettled(ctx.client, ctx.events);
  t.deepEqual(ctx.events.types("system"), ["detected"]);
  t.deepEqual(ctx.events.types("cluster:west"), ["detected"]);
  t.deepEqual(ctx.events.types("cluster:east"), []);
  const west = ctx.events.of("cluster:west")[0]!;
  t.is(west.subject, "versions.mismatch.west");
  t.is(west.event.cluster, "west");
  t.is(ctx.events.of("system")[0]!.subject, "versions.mismatch");
});
