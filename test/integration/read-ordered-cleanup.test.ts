import test from "ava";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { readOrdered } from "../../src/nats/read-ordered.js";
import { scanLatest } from "../../src/nats/kv-scan.js";
import { connectAs, startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";

// Every `versions.events` request and every start reads with an ordered consumer. Closed, such a
// consumer stays on the server for its inactive threshold (5 minutes): an operator polling the
// events every second would keep 300 idle consumers on the stream. A read deletes its own.

const [, , newest] = threeVersions();

test("a complete read leaves no consumer on the stream: a stream read, a KV scan, and one with nothing to read", async (t) => {
  const cluster = await startCluster([{ name: "tidy", binaries: [newest.path] }], "tidy");
  const nc = await connectAs(cluster, users.admin);
  t.teardown(async () => {
    await nc.close();
    await stopCluster(cluster);
  });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "TIDY", subjects: ["tidy.>"] });
  const js = jetstream(nc);
  for (let i = 0; i < 50; i++) await js.publish(`tidy.${i % 5}`, String(i));
  const kv = await new Kvm(nc).create("tidy-kv");
  for (let i = 0; i < 20; i++) await kv.put(`servers.s${i}`, String(i));

  const consumersOf = async (stream: string) => (await jsm.consumers.list(stream).next()).length;
  for (let round = 0; round < 3; round++) {
    let read = 0;
    await readOrdered(nc, "TIDY", { filter_subjects: "tidy.>" }, "tidy", { start: () => (read = 0), message: () => void read++ });
    t.is(read, 50);
    t.is(await scanLatest(nc, "tidy-kv", "servers.", () => undefined), 20);
    // Nothing to read: the consumer is made (to learn that) and deleted as well.
    t.is(await scanLatest(nc, "tidy-kv", "none.", () => undefined), 0);
  }
  // The deletes are not waited for by the reads; they are done within moments, not 5 minutes.
  await waitUntil("the readers' consumers deleted", async () => ((await consumersOf("TIDY")) + (await consumersOf("KV_tidy-kv")) === 0 ? true : undefined), 5000, 50);
  t.pass();
});
