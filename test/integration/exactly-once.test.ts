import test from "ava";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import type { NatsConnection } from "@nats-io/nats-core";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { mismatchSubject } from "../../src/core/event-subject.js";
import type { MismatchEvent } from "../../src/core/mismatch-event.js";
import { decodeMismatchRecord, type MismatchRecord } from "../../src/core/mismatch-record.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import { CRASH_FAILPOINT } from "../../src/cli/serve.js";
import { scanLatest } from "../../src/nats/kv-scan.js";
import { encodeKeyToken } from "../../src/core/server-key.js";
import { Kvm } from "@nats-io/kv";
import { spawnCli } from "../helpers/cli.js";
import { connectAs, startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { SimulatedServers } from "../helpers/simulated-servers.js";

// Exactly-once delivery of mismatch events, attacked: three service instances as separate
// processes, SIGKILLed at random and by a failpoint between their KV write and their publish,
// leader step-downs of the bucket's and the event stream's streams, a real server upgrade on a
// mixed cluster that includes the oldest Debian nats-server, and 30+ transitions driven by
// simulated servers. A plain subscriber and a durable consumer must each see every transition of
// every scope once, in order, with no gap. `npm run soak` runs this file ten times in a row.

const STREAM = "version-monitor-events";
const BUCKET = "version-monitor";
const INSTANCES = 3;
const CRASH_PROBABILITY = "0.1";
const [oldest, middle, newest] = threeVersions();

interface Received {
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly event: MismatchEvent;
}

interface Instance {
  child: ChildProcess | undefined;
  killedByTest: boolean;
  stderr: string;
}

const ctx = {} as {
  cluster: LocalCluster;
  adminNc: NatsConnection;
  appNc: NatsConnection;
  sysNc: NatsConnection;
  sims: SimulatedServers;
};
const instances: Instance[] = [];
const received: Received[] = [];
const counts = { subscriberDisconnects: 0, lateDetections: 0, fallbacks: 0, handovers: 0, testKills: 0, failpointKills: 0, otherExits: 0, kvStepdowns: 0, streamStepdowns: 0, realUpgrades: 0 };
let ending = false;
let chaos = false;
let incarnations = 0;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

function serveArgs(): string[] {
  return [
    "serve",
    "--server", ctx.cluster.urls.join(","),
    "--user", users.monitor.user, "--password", users.monitor.pass,
    "--sys-user", users.monitorSys.user, "--sys-password", users.monitorSys.pass,
    "--poll-interval", "1s", "--offline-after", "8s",
    "--activity-window", "2s", "--max-mismatch", "6s",
    "--evaluate-interval", "250ms", "--handover-after", "500ms",
    "--log-level", process.env["EXACTLY_ONCE_LOGS"] ? "debug" : "warn",
  ];
}

function launch(i: number): void {
  const inst = instances[i]!;
  const child = spawnCli(serveArgs(), { [CRASH_FAILPOINT]: CRASH_PROBABILITY });
  inst.child = child;
  inst.killedByTest = false;
  child.stderr!.on("data", (d) => (inst.stderr = (inst.stderr + String(d)).slice(-4000)));
  child.stdout!.on("data", (d) => {
    counts.handovers += String(d).split("whose writer did not").length - 1;
    counts.fallbacks += String(d).split("without republishing it").length - 1;
  });
  // EXACTLY_ONCE_LOGS=dir keeps every incarnation's log, for reading a failure.
  const logs = process.env["EXACTLY_ONCE_LOGS"];
  if (logs) child.stdout!.pipe(createWriteStream(`${logs}/instance-${i}-${++incarnations}.log`));
  child.on("exit", (_code, signal) => {
    if (inst.child !== child) return;
    inst.child = undefined;
    if (ending) return;
    if (signal === "SIGKILL" && !inst.killedByTest) counts.failpointKills++;
    else if (!inst.killedByTest) counts.otherExits++;
    setTimeout(() => !ending && !inst.child && launch(i), jitter(200, 900));
  });
}

function killRandom(): void {
  const alive = instances.filter((x) => x.child);
  const victim = alive[Math.floor(Math.random() * alive.length)];
  if (!victim?.child) return;
  victim.killedByTest = true;
  victim.child.kill("SIGKILL");
  counts.testKills++;
}

async function stepDown(stream: string): Promise<boolean> {
  try {
    const r = await ctx.adminNc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, "", { timeout: 5000 });
    return r.json<{ success?: boolean }>().success === true;
  } catch {
    return false;
  }
}

/** Every live instance's `$SRV.STATS` answer, by service id. */
async function instanceStats(): Promise<Map<string, { evaluations: number; handovers: number; duplicates: number; conflicts: number; deferred: number }>> {
  const out = new Map();
  const replies = await ctx.appNc.requestMany("$SRV.STATS.version-monitor", "", { maxWait: 400 });
  for await (const m of replies) {
    const s = m.json<{ id: string; endpoints: { data: { mismatch: Record<string, number> } }[] }>();
    const data = s.endpoints[0]?.data?.mismatch;
    if (data) out.set(s.id, data);
  }
  return out;
}

async function storedRecords(): Promise<MismatchRecord[]> {
  const out: MismatchRecord[] = [];
  await scanLatest(ctx.adminNc, BUCKET, "mismatch.", (_k, _r, data) => {
    const r = decodeMismatchRecord(data);
    if (r) out.push(r);
  });
  return out;
}

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "eo", binaries: [oldest.path, middle.path, middle.path] }]);
  ctx.adminNc = await connectAs(ctx.cluster, users.admin);
  // The plain subscriber stays on the servers the test never restarts: a core subscriber misses what
  // is published while it reconnects (README, limits), which is core NATS, not this service. Each
  // disconnect is counted all the same, for reading a failure.
  ctx.appNc = await connectAs(ctx.cluster, users.app, ["eo-2", "eo-3"]);
  void (async () => {
    for await (const s of ctx.appNc.status()) if (s.type === "disconnect") counts.subscriberDisconnects++;
  })();
  ctx.sysNc = await connectAs(ctx.cluster, users.sys);
  for (const subject of ["versions.mismatch", "versions.mismatch.>"]) {
    ctx.appNc.subscribe(subject, {
      callback: (_err, m) => void received.push({ subject: m.subject, msgId: m.headers?.get("Nats-Msg-Id") || undefined, event: m.json<MismatchEvent>() }),
    });
  }
  await ctx.appNc.flush();
  ctx.sims = new SimulatedServers(ctx.sysNc);
  for (const c of ["sim-a", "sim-b", "sim-c"]) for (const n of [1, 2, 3]) ctx.sims.add(`${c}-${n}`, c, middle.version);
  ctx.sims.start(250);
});

test.after.always(async () => {
  ending = true;
  chaos = false;
  ctx.sims?.stop();
  for (const inst of instances) inst.child?.kill("SIGKILL");
  await Promise.allSettled([ctx.adminNc, ctx.appNc, ctx.sysNc].map((nc) => nc?.close()));
  await stopCluster(ctx.cluster);
});

// Heavy (three service processes and constant churn on two cores): `npm test` runs it on its own,
// after the other files, as `npm run test:crash`, so that it neither starves nor is starved.
const crash = process.env["EXACTLY_ONCE"] ? test.serial : test.serial.skip;

crash("every transition reaches a plain subscriber and a durable consumer exactly once, in order, through kills and step-downs", async (t) => {
  t.timeout(300_000);
  const started = Date.now();
  for (let i = 0; i < INSTANCES; i++) {
    instances.push({ child: undefined, killedByTest: false, stderr: "" });
    launch(i);
  }
  const jsm = await jetstreamManager(ctx.appNc);
  await waitUntil("the event stream, created by an instance", () => jsm.streams.info(STREAM).then(() => true, () => undefined), 60_000);
  // A consumer that must never miss an event: durable, read only at the very end.
  await jsm.consumers.add(STREAM, { durable_name: "exactly-once-test", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });

  // Chaos runs beside the scenario: a random instance SIGKILLed every 1-2.5 s, restarted after a moment.
  chaos = true;
  const chaosLoop = (async () => {
    while (chaos) {
      await pause(jitter(1000, 2500));
      if (chaos) killRandom();
    }
  })();

  // A time-out says what the two streams looked like then.
  const diagnose = async (err: Error) => {
    const admin = await jetstreamManager(ctx.adminNc);
    const info = await Promise.all([`KV_${BUCKET}`, STREAM].map((n) => admin.streams.info(n).then((i) => ({ n, cluster: i.cluster, last: i.state.last_seq }), (e: Error) => ({ n, err: e.message }))));
    const last = received.slice(-4).map((r) => `${r.event.id} ${r.event.type} ${r.event.state} [${r.event.versions.map((v) => `${v.version}x${v.count}`).join(" ")}]`);
    const stats = [...(await instanceStats().catch(() => new Map()))].map(([id, st]) => ({ id, ...st }));
    const report = await ctx.appNc.request("versions.report", JSON.stringify({ cluster: "sim-b" }), { timeout: 5000 }).then((m) => {
      const r = m.json<{ clusters?: { state: string; reasons: string[] }[] }>();
      return r.clusters?.[0];
    }, (e: Error) => e.message);
    throw new Error(`${err.message}; streams: ${JSON.stringify(info)}; last events: ${JSON.stringify(last)}; instances: ${JSON.stringify(stats)}; sim-b: ${JSON.stringify(report)}`);
  };
  // 1. Rolling upgrades and rollbacks of the simulated clusters, one server at a time; each step
  // waits for its transition (detected, changed, resolved), so none is skipped while JetStream is away.
  let step = 0;
  let realUpgrade: Promise<void> | undefined;
  for (const version of [newest.version, middle.version, newest.version, middle.version]) {
    for (const cluster of ["sim-a", "sim-b", "sim-c"]) {
      for (const n of [1, 2, 3]) {
        const from = received.length;
        ctx.sims.restart(`${cluster}-${n}`, version);
        step++;
        if (step === 4 || step === 22) counts.kvStepdowns += Number(await stepDown(`KV_${BUCKET}`));
        if (step === 7 || step === 29) counts.streamStepdowns += Number(await stepDown(STREAM));
        if (step === 14) {
          // A real server upgrade: the oldest Debian nats-server, lame duck, back on a newer one.
          realUpgrade = (async () => {
            const s = ctx.cluster.server("eo-1");
            await s.lameDuck();
            await s.start(middle.path);
            counts.realUpgrades++;
          })();
        }
        const reached = () =>
          received.slice(from).find((r) => r.event.scope === `cluster:${cluster}` && (n === 3 ? r.event.type === "resolved" : r.event.versions.some((v) => v.version === version && v.count === n)));
        await waitUntil(`${cluster}-${n} on ${version} announced`, reached, 60_000).catch(diagnose);
        await pause(jitter(100, 300));
      }
    }
  }
  // 2. An upgrade that stops half-way: stalled, then stale, then finished. Evaluated late (every
  // instance down or starting at that moment), it rightly skips a state: detected as stalled, or
  // changed from rolling-upgrade straight to stale. Then it is rolled back and tried again, so that
  // each transition type is seen.
  const onNewest = (e: MismatchEvent) => e.versions.some((v) => v.version === newest.version);
  let from = received.length;
  const sinceAttempt = (test: (e: MismatchEvent) => boolean) => () => received.slice(from).find((r) => r.event.scope === "cluster:sim-b" && test(r.event));
  for (let attempt = 1; ; attempt++) {
    from = received.length;
    ctx.sims.restart("sim-b-2", newest.version);
    const first = await waitUntil("sim-b stalled", sinceAttempt((e) => (e.state === "stalled" || e.state === "stale") && onNewest(e)), 60_000).catch(diagnose);
    if (first.event.type === "stalled" || attempt === 3) break;
    counts.lateDetections++;
    ctx.sims.restart("sim-b-2", middle.version);
    await waitUntil("sim-b resolved before the next attempt", sinceAttempt((e) => e.type === "resolved"), 60_000).catch(diagnose);
  }
  counts.kvStepdowns += Number(await stepDown(`KV_${BUCKET}`));
  await waitUntil("sim-b stale", sinceAttempt((e) => e.type === "stale" && onNewest(e)), 60_000).catch(diagnose);
  counts.streamStepdowns += Number(await stepDown(STREAM));
  ctx.sims.restart("sim-b-2", middle.version);
  await realUpgrade;

  // 3. Quiet: chaos stops, every instance runs, every recorded event has arrived and two more
  // evaluation rounds of every instance changed nothing.
  chaos = false;
  await chaosLoop;
  for (const [i, inst] of instances.entries()) if (!inst.child) launch(i);
  await waitUntil("three instances answering", async () => ((await instanceStats()).size === INSTANCES ? true : undefined), 60_000);
  const settled = async () => {
    const records = await storedRecords();
    const ids = new Set(received.map((r) => r.event.id));
    const missing = records.filter((r) => r.event && !ids.has(r.event.id));
    if (missing.length > 0) throw new Error(`not yet received: ${missing.map((r) => r.event!.id).join(", ")}`);
    return JSON.stringify(records.map((r) => [r.scope, r.seq]));
  };
  let quiet = "";
  await waitUntil(
    "every recorded event received, and two evaluations of every instance without a change",
    async () => {
      const before = await settled();
      const s1 = await instanceStats();
      await waitUntil("two more evaluations everywhere", async () => {
        const s2 = await instanceStats();
        return [...s1].every(([id, s]) => (s2.get(id)?.evaluations ?? 0) >= s.evaluations + 2) ? true : undefined;
      }, 20_000, 100);
      const after = await settled();
      if (before !== after) return undefined;
      quiet = after;
      return true;
    },
    120_000,
    200,
  );
  const records = await storedRecords();
  const finalStats = [...(await instanceStats()).values()];
  ending = true;

  // The durable consumer, read after the fact.
  const durable: MismatchEvent[] = [];
  const durableMeta: [number, number][] = [];
  const durableIds = new Set<string>();
  let streamCopies = 0;
  const consumer = await jetstream(ctx.appNc).consumers.get(STREAM, "exactly-once-test");
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 200, expires: 1000 });
    let n = 0;
    for await (const m of batch) {
      // A durable consumer is at-least-once: a reader that must act once per event skips ids it has
      // processed (as the README says). Copies are counted: the stream itself may hold one twice
      // when a leader change applies an offer that was retried elsewhere.
      const e = m.json<MismatchEvent>();
      if (durableIds.has(e.id)) streamCopies++;
      else {
        durableIds.add(e.id);
        durable.push(e);
        durableMeta.push([m.seq, m.info.deliveryCount]);
      }
      m.ack();
      n++;
    }
    if (n === 0 && (await consumer.info()).num_pending === 0) break;
  }

  // Every scope's events, as both readers got them: 1, 2, 3, ... once each, in order. The scenario
  // ends with every scope consistent, so each scope's last event is its `resolved`: no tail is lost.
  const byScope = (events: MismatchEvent[]) => {
    const m = new Map<string, MismatchEvent[]>();
    for (const e of events) m.set(e.scope, [...(m.get(e.scope) ?? []), e]);
    return m;
  };
  const plain = received.map((r) => r.event);
  const ids = plain.map((e) => e.id);
  const duplicates = ids.length - new Set(ids).size;
  let gaps = 0;
  const scopes = byScope(plain);
  if (process.env["EXACTLY_ONCE_DUMP"]) {
    // For reading a failure: the bucket's last revisions of each record, and what both readers got.
    const kv = await new Kvm(ctx.adminNc).open(BUCKET);
    const history: Record<string, unknown[]> = {};
    for (const r of records) {
      const key = `mismatch.${encodeKeyToken(r.scope)}`;
      history[key] = [];
      for await (const e of await kv.history({ key })) {
        const d = e.operation === "PUT" ? decodeMismatchRecord(e.value) : undefined;
        history[key]!.push([e.revision, e.created.toISOString(), e.operation, d?.seq, d?.writer, d?.state]);
      }
    }
    const { writeFileSync } = await import("node:fs");
    const brief = (e: MismatchEvent) => [e.id, e.type];
    writeFileSync(process.env["EXACTLY_ONCE_DUMP"], JSON.stringify({ history, plain: plain.map(brief), durable: durable.map((e, i) => [...brief(e), ...durableMeta[i]!]) }, null, 1));
  }
  for (const [name, events] of [["plain subscriber", plain], ["durable consumer", durable]] as const) {
    for (const [scope, list] of byScope(events)) {
      const seqs = list.map((e) => e.seq);
      const expected = Array.from({ length: Math.max(...seqs) }, (_, i) => i + 1);
      if (JSON.stringify(seqs) !== JSON.stringify(expected)) gaps++;
      t.deepEqual(seqs, expected, `${name}: ${scope} in order, once each, none missing`);
      t.is(list.at(-1)?.type, "resolved", `${name}: ${scope} ends resolved`);
    }
  }
  t.deepEqual([...scopes.keys()].sort(), ["cluster:eo", "cluster:sim-a", "cluster:sim-b", "cluster:sim-c", "system"]);
  // The bucket is never ahead of the events: a record's event is always delivered. It may be behind
  // where the mixed cluster lost acknowledged KV writes; the instances write it back at the next
  // transition or restart (counted, not failed).
  let kvBehind = 0;
  for (const r of records.filter((x) => x.seq > 0)) {
    const last = scopes.get(r.scope)?.at(-1)?.seq ?? 0;
    t.true(r.seq <= last, `${r.scope}: record seq ${r.seq}, last event ${last}`);
    if (r.seq < last) kvBehind++;
  }
  t.is(duplicates, 0, "no event id arrived twice");
  t.deepEqual(durable.map((e) => e.id), plain.map((e) => e.id), "the durable consumer holds what the subscriber saw, in the same order");
  for (const r of received) {
    t.is(r.msgId, r.event.id);
    t.is(r.subject, mismatchSubject("versions", r.event));
  }
  const types: Record<string, number> = {};
  for (const e of plain) types[e.type] = (types[e.type] ?? 0) + 1;
  for (const type of ["detected", "changed", "stalled", "stale", "resolved"]) t.true((types[type] ?? 0) >= 1, `at least one ${type}: ${JSON.stringify(types)}`);
  t.true(plain.length >= 30, `${plain.length} transitions`);
  t.true(counts.testKills + counts.failpointKills >= 3, JSON.stringify(counts));
  t.true(counts.kvStepdowns >= 2 && counts.streamStepdowns >= 2, JSON.stringify(counts));
  t.is(counts.realUpgrades, 1);
  t.is(counts.otherExits, 0, instances.map((x) => x.stderr).join("\n"));
  const sum = (k: "handovers" | "duplicates" | "conflicts" | "deferred") => finalStats.reduce((a, s) => a + s[k], 0);
  t.log(
    `${plain.length} transitions in ${records.filter((x) => x.seq > 0).length} scopes ${JSON.stringify(types)}; ` +
      `kills ${counts.testKills} random + ${counts.failpointKills} between KV write and publish; ` +
      `step-downs ${counts.kvStepdowns} bucket + ${counts.streamStepdowns} event stream; duplicates ${duplicates}, gaps ${gaps}; ` +
      `records behind the stream at the end ${kvBehind}; second copies in the stream (skipped by the durable reader) ${streamCopies}; ` +
      `plain subscriber disconnected ${counts.subscriberDisconnects} times; ${counts.handovers} events handed over; half-way upgrades detected late and tried again ${counts.lateDetections}; ${counts.fallbacks} not republished by the stream and published by an instance; surviving instances: ${sum("duplicates")} offers deduplicated, ${sum("conflicts")} conflicts, ${sum("deferred")} deferrals; ` +
      `${Math.round((Date.now() - started) / 1000)} s; final ${quiet.length} chars of state`,
  );
});
