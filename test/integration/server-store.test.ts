import test, { type ExecutionContext } from "ava";
import { openBucket, ServerStore } from "../../src/nats/server-store.js";
import { Fleet } from "../../src/core/fleet.js";
import { captureLogger, connectAs, startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { observation } from "../helpers/observations.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";

// A burst of new servers queues a write each: at most a bounded number are in flight at once, and
// every key still ends up holding its newest record.
let cluster: LocalCluster | undefined;
test.after.always(async () => stopCluster(cluster));

test("a burst of writes is bounded in flight, coalesced per key, and every newest record lands", async (t) => {
  const [, , newest] = threeVersions();
  cluster = await startCluster([{ name: "store", binaries: [newest.path] }]);
  const nc = await connectAs(cluster, users.admin);
  try {
    const { log } = captureLogger("warn");
    const kv = await openBucket(nc, "store-burst", 1, log);
    // A server slow to acknowledge (20 ms a write), as one under load is: the bound is what holds the writes back.
    const slow = Object.create(kv) as typeof kv;
    slow.create = async (...args: Parameters<typeof kv.create>) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return kv.create(...args);
    };
    const store = new ServerStore(slow, nc, { bucket: "store-burst", log, resolveConflict: (ours) => ours });
    const fleet = new Fleet({ offlineAfterMs: 60_000 });
    const N = 3000;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < N; i++) {
        // The last round moves every tenth server to a new version: that is the record that must land.
        const version = round === 2 && i % 10 === 0 ? "2.11.1" : "2.10.27";
        store.save(fleet.observe(observation(`s-${i}`, version, { id: `s-${i}-${version}` }), 1_000 + round).record);
      }
    }
    // Writes start a moment after the change, not at once (a request that came with it goes first).
    t.deepEqual(store.backlog, { writing: 0, waiting: N }, "nothing started yet, each key queued once");
    let most = 0;
    const until = Date.now() + 30_000;
    while (store.backlog.waiting + store.backlog.writing > 0 && Date.now() < until) {
      most = Math.max(most, store.backlog.writing);
      await new Promise((resolve) => setImmediate(resolve));
    }
    t.is(most, 256, "writes in flight are bounded (and the bound is reached)");
    await store.flush();
    t.deepEqual(store.backlog, { writing: 0, waiting: 0 });
    t.is(store.stats.errors, 0);
    const loaded = new Map((await store.loadAll()).map((r) => [r.name, r]));
    t.is(loaded.size, N);
    for (let i = 0; i < N; i++) t.is(loaded.get(`s-${i}`)?.version, i % 10 === 0 ? "2.11.1" : "2.10.27", `s-${i}`);
    t.true(store.stats.writes < 3 * N, `coalesced: ${store.stats.writes} writes for ${3 * N} saves`);
  } finally {
    await nc.close();
  }
});

/** A cluster of one server of its own, stopped after the test, and a bucket `store-<name>` on it. */
async function ownBucket(t: ExecutionContext, name: string) {
  const [, , newest] = threeVersions();
  const own = await startCluster([{ name, binaries: [newest.path] }]);
  t.teardown(() => stopCluster(own));
  const nc = await connectAs(own, users.admin);
  t.teardown(() => nc.close());
  const { log, lines } = captureLogger("warn");
  const kv = await openBucket(nc, `store-${name}`, 1, log);
  return { nc, kv, log, lines };
}

// A full disk or a lost quorum fails the write of every key, and each is retried every second.
test("an outage that fails every write is told in a line and a sum, not a line per key and retry, and every record lands after it", async (t) => {
  const { nc, kv, log, lines } = await ownBucket(t, "outage");
  let down = true;
  const failing = Object.create(kv) as typeof kv;
  failing.create = async (...args: Parameters<typeof kv.create>) => {
    if (down) throw new Error("insufficient storage resources available");
    return kv.create(...args);
  };
  const store = new ServerStore(failing, nc, { bucket: "store-outage", log, resolveConflict: (ours) => ours, failureLogMs: 4000 });
  const fleet = new Fleet({ offlineAfterMs: 60_000 });
  const N = 300;
  for (let i = 0; i < N; i++) store.save(fleet.observe(observation(`o-${i}`, "2.10.27", { id: `o-${i}` }), 1_000).record);
  const told = () => lines().filter((l) => /KV write/.test(String(l["msg"])));
  await waitUntil("every key's write failed", () => (store.stats.errors >= N ? true : undefined), 20_000, 10);
  t.deepEqual(told().map((l) => l["msg"]), ["KV write failed; retrying in 1s"], "the first failure only, so far");
  const sum = await waitUntil("the sum", () => told().find((l) => l["msg"] === "more KV writes failed; each is retried in 1s"), 10_000);
  t.true((sum["failed"] as number) >= N - 1, `${sum["failed"]} failures summed up`);
  t.is(sum["err"], "insufficient storage resources available");
  const during = told().length;
  t.true(during <= 3, `${during} lines for ${store.stats.errors} failed writes`);
  down = false;
  await waitUntil("every record written", async () => ((await store.loadAll()).length === N ? true : undefined), 20_000, 200);
  await store.close();
  t.true(told().length <= during + 2, "the failures still being summed up are told at close, once");
});

// While advertisements wait to be taken in, writes trickle: the cores go to the ingest (and the
// requests) first, and the writes catch up once the backlog is gone.
test("held writes trickle at about 640 a second; released, the rest follow at once, and every record lands", async (t) => {
  const { nc, kv, log } = await ownBucket(t, "held");
  let held = true;
  const store = new ServerStore(kv, nc, { bucket: "store-held", log, resolveConflict: (ours) => ours, holdWrites: () => held });
  const fleet = new Fleet({ offlineAfterMs: 60_000 });
  const N = 5000;
  for (let i = 0; i < N; i++) store.save(fleet.observe(observation(`h-${i}`, "2.10.27", { id: `h-${i}` }), 1_000).record);
  await new Promise((r) => setTimeout(r, 1000));
  const inASecond = store.stats.writes;
  // 32 every 50 ms, and the first batch at once: 672 at most, fewer on a busy machine.
  t.true(inASecond > 0 && inASecond <= 32 * 21, `${inASecond} writes in the first second while held`);
  held = false;
  const t0 = performance.now();
  await waitUntil("every write done once released", () => (store.stats.writes === N ? true : undefined), 30_000, 10);
  const rest = N - inASecond;
  const ms = performance.now() - t0;
  t.log(`held: ${inASecond} writes in 1 s; released: ${rest} in ${Math.round(ms)} ms`);
  t.true(rest / (ms / 1000) > 2 * 640, `released, faster than the trickle: ${Math.round(rest / (ms / 1000))} a second`);
  t.is((await store.loadAll()).length, N);
  await store.close();
});
