import test from "ava";
import { headers } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { RepublishGuard } from "../../src/nats/republish-guard.js";
import { createReplicated } from "../../src/nats/replicated-create.js";
import { encodeKeyToken } from "../../src/core/server-key.js";
import { connectAs, captureLogger, startCluster, stopCluster, threeVersions, users } from "../helpers/cluster.js";

const [oldest, middle] = threeVersions();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The guard's job cannot be provoked on demand (the server skips a republish only when a leader
// changes at the moment it applies), so it is given a stream that never republishes: everything
// stored there is an event "the stream did not republish".
test("three guards publish an event the stream stored but did not republish exactly once, and leave republished ones alone", async (t) => {
  const cluster = await startCluster([{ name: "guard", binaries: [oldest.path, middle.path, middle.path] }]);
  t.teardown(() => stopCluster(cluster));
  const nc = await connectAs(cluster, users.admin);
  t.teardown(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const quiet = captureLogger("warn").log;
  await createReplicated("stream silent", "auto", (n) => jsm.streams.add({ name: "silent", subjects: ["silent.>"], num_replicas: n }), quiet);
  const kv = await createReplicated("bucket guard-claims", "auto", (n) => new Kvm(nc).create("guard-claims", { replicas: n }), quiet);
  const got: { subject: string; id: string }[] = [];
  for (const s of ["versions.mismatch", "versions.mismatch.>"]) nc.subscribe(s, { callback: (_e, m) => void got.push({ subject: m.subject, id: m.headers?.get("Nats-Msg-Id") ?? "" }) });
  const { log, lines } = captureLogger("warn");
  const guards: RepublishGuard[] = [];
  for (let i = 0; i < 3; i++) {
    // Each guard on its own connection, as each instance has.
    const own = await connectAs(cluster, users.admin);
    t.teardown(() => own.close());
    const g = new RepublishGuard(own, await new Kvm(own).open("guard-claims"), { stream: "silent", graceMs: 500, log });
    await g.start();
    guards.push(g);
  }
  t.teardown(() => Promise.all(guards.map((g) => g.stop())));
  // The guards only judge events stored once their connections have been up for a while.
  await pause(2500);
  const js = jetstream(nc);
  const event = (id: string, cluster: string | null, seq: number) => JSON.stringify({ id, seq, type: "detected", scope: cluster ? `cluster:${cluster}` : "system", cluster });
  await js.publish("silent.mismatch.east", event("cluster:east.1.1", "east", 1), { msgID: "cluster:east.1.1" });
  await js.publish("silent.mismatch", event("system.1.1", null, 1), { msgID: "system.1.1" });
  // This one is "republished": it appears on its public subject on time, so nobody publishes it again.
  await js.publish("silent.mismatch.west", event("cluster:west.1.1", "west", 1), { msgID: "cluster:west.1.1" });
  const h = headers();
  h.set("Nats-Msg-Id", "cluster:west.1.1");
  nc.publish("versions.mismatch.west", event("cluster:west.1.1", "west", 1), { headers: h });
  await pause(3000);
  const count = (id: string) => got.filter((g) => g.id === id).length;
  t.is(count("cluster:east.1.1"), 1);
  t.is(count("system.1.1"), 1);
  t.is(count("cluster:west.1.1"), 1, "the republished one is not published again");
  t.deepEqual(got.find((g) => g.id === "cluster:east.1.1")?.subject, "versions.mismatch.east");
  t.deepEqual(got.find((g) => g.id === "system.1.1")?.subject, "versions.mismatch");
  t.is(guards.reduce((a, g) => a + g.stats.fallbacks, 0), 2);
  // The others either lost the claim or saw the winner's copy first.
  t.is(lines().filter((l) => /without republishing/.test(String(l["msg"]))).length, 2);
  const claim = await kv.get(`republished.${encodeKeyToken("cluster:east.1.1")}`);
  t.is(claim?.operation, "PUT", "the winning claim is in the bucket");
});
