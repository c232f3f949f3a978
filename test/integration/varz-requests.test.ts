import test from "ava";
import type { Msg } from "@nats-io/nats-core";
import { Collector } from "../../src/nats/collector.js";
import { PingRounds } from "../../src/core/ping-rounds.js";
import { captureLogger, connectAs, startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";

const [, , newest] = threeVersions();

// VARZ is the only source of a server's Go version: the collector asks a new or restarted server
// for it. A request by name goes to every server of the system (each looks at the filter), so a
// burst of new servers is asked with one request that all of them answer, at most every 5 s.

test("VARZ requests: a few servers by name, a burst of them with one request to all, at most one such every 5 s", async (t) => {
  const cluster = await startCluster([{ name: "varz", binaries: [newest.path] }]);
  t.teardown(() => stopCluster(cluster));
  const sys = await connectAs(cluster, users.sys);
  t.teardown(() => sys.close());
  // What goes over the wire: the requests the collector publishes, seen by another system user.
  const spy = await connectAs(cluster, users.sys);
  t.teardown(() => spy.close());
  const requests: { at: number; body: string }[] = [];
  spy.subscribe("$SYS.REQ.SERVER.PING.VARZ", { callback: (_err, m: Msg) => void requests.push({ at: performance.now(), body: m.string() }) });
  await spy.flush();
  const collector = new Collector(sys, {
    pollIntervalMs: 3_600_000,
    log: captureLogger("warn").log,
    onObservation: () => undefined,
    now: Date.now,
    rounds: new PingRounds(),
    probeTargets: () => [],
    onProbe: () => undefined,
  });
  await collector.start();
  t.teardown(() => collector.stop());
  // The start's poll asks everyone.
  await waitUntil("the first poll", () => (requests.length === 1 ? true : undefined), 5000, 10);
  t.is(requests[0]!.body, "");
  const everyone = () => requests.filter((r) => r.body === "").length;

  // Three restarted servers: asked by name, together, once each.
  for (const name of ["a", "b", "a", "c"]) collector.pingVarz(name);
  await waitUntil("three requests by name", () => (requests.length >= 4 ? true : undefined), 5000, 10);
  await new Promise((r) => setTimeout(r, 400));
  t.deepEqual(requests.slice(1).map((r) => JSON.parse(r.body).server_name).sort(), ["a", "b", "c"]);

  // A burst of 1,000 new servers: one request that every server answers, none by name.
  const before = requests.length;
  for (let i = 0; i < 1000; i++) collector.pingVarz(`burst-${i}`);
  await waitUntil("the request to all", () => (everyone() === 2 ? true : undefined), 5000, 10);
  const firstBurstAt = requests.at(-1)!.at;
  // Another burst at once: asked after the 5 s gap, not before, and once.
  for (let i = 0; i < 1000; i++) collector.pingVarz(`again-${i}`);
  await waitUntil("the second request to all", () => (everyone() === 3 ? true : undefined), 10_000, 10);
  const gap = requests.at(-1)!.at - firstBurstAt;
  t.true(gap >= 4950 && gap < 6500, `the second request to all ${Math.round(gap)} ms after the first`);
  await new Promise((r) => setTimeout(r, 500));
  t.is(requests.length - before, 2, "two requests for 2,000 servers, none by name");
});
