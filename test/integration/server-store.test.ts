import test from "ava";
import { openBucket, ServerStore } from "../../src/nats/server-store.js";
import { Fleet } from "../../src/core/fleet.js";
import { captureLogger, connectAs, startCluster, stopCluster, threeVersions, users } from "../helpers/cluster.js";
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
    const store = new ServerStore(kv, nc, { bucket: "store-burst", log, resolveConflict: (ours) => ours });
    const fleet = new Fleet({ offlineAfterMs: 60_000 });
    const N = 3000;
    let most = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < N; i++) {
        // The last round moves every tenth server to a new version: that is the record that must land.
        const version = round === 2 && i % 10 === 0 ? "2.11.1" : "2.10.27";
        store.save(fleet.observe(observation(`s-${i}`, version, { id: `s-${i}-${version}` }), 1_000 + round).record);
        most = Math.max(most, store.backlog.writing);
      }
    }
    t.is(most, 256, "writes in flight are bounded (and the bound is reached)");
    t.true(store.backlog.waiting > 0 && store.backlog.waiting + store.backlog.writing <= N, `each key queued once at most: ${JSON.stringify(store.backlog)}`);
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
