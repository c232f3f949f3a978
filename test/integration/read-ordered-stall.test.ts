import test, { type ExecutionContext } from "ava";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { LocalServer } from "../../src/local-cluster/local-server.js";
import { readOrdered, ReadStalled } from "../../src/nats/read-ordered.js";
import { startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";

// readOrdered's watchdog against a read that really stalls part-way: the one server that holds the
// stream (and so the ordered consumer) is frozen with SIGSTOP after some messages were delivered.
//
// Why that stalls: the stream is R1 on server T and the reader is connected to another server, C.
// The consumer's pulls go C -> route -> T, and a stopped process reads nothing: the bytes sit in
// its socket buffers, no messages, no heartbeats and no error ever come back. Its sockets stay
// open, so C notices nothing for minutes (route pings) and the client's own connection to C is
// healthy: no disconnect, no error, the consume just waits. The client's idle-heartbeat check
// (2 x 15 s) would only pull from the frozen server again. Without the watchdog the read hangs.

const [, , newest] = threeVersions();
/** What read-ordered.ts uses: no message for STALL_MS stops the attempt (checked every STALL_MS / 5). */
const STALL_MS = 5000;
const CHECK_MS = STALL_MS / 5;
/** The JetStream API requests' time-out, what a retry's first request waits on a frozen server. */
const API_TIMEOUT_MS = 5000;
const MESSAGES = 5000;
/** Large enough that the read is well under way, far from done (pulls are 1,000 at a time). */
const FREEZE_AFTER = 300;
/** No stalled read may take this long: past it the read hangs, the watchdog did not fire. */
const DEADLINE_MS = 45_000;

interface Attempt {
  startedAt: number;
  seqs: number[];
  payloads: number[];
  lastMessageAt: number | undefined;
}

interface Setup {
  cluster: LocalCluster;
  /** The server holding the R1 stream, frozen mid-read. */
  frozen: LocalServer;
  /** The reader's connection, to a server that is never frozen. */
  nc: NatsConnection;
  stream: string;
}

function signal(s: LocalServer, sig: NodeJS.Signals): void {
  if (s.pid === undefined || !s.running) return;
  try {
    process.kill(s.pid, sig);
  } catch {
    // gone already
  }
}

/**
 * A 3-server cluster and an R1 stream of MESSAGES messages on a server T that is not the meta leader
 * (so freezing it costs no meta election: consumer creation keeps working), and a connection to
 * the third server. Cleanup resumes every server before stopping them, whatever happened.
 */
async function setUp(t: ExecutionContext, prefix: string): Promise<Setup> {
  const cluster = await startCluster([{ name: "stall", binaries: [newest.path, newest.path, newest.path] }], prefix);
  // Registered first, so it runs last (after the connection is closed), even on failure or time-out.
  t.teardown(async () => {
    for (const s of cluster.servers) signal(s, "SIGCONT");
    await stopCluster(cluster);
  });
  const metaLeader = async () => {
    const name = (await cluster.servers[0]!.monitor<{ meta_cluster?: { leader?: string } }>("/jsz")).meta_cluster?.leader;
    return name === undefined ? undefined : cluster.server(name);
  };
  // Closed before anything is frozen: it may be connected to the server that will be.
  const admin = await connect({ servers: cluster.urls, user: users.admin.user, pass: users.admin.pass });
  try {
    const jsm = await jetstreamManager(admin);
    const stream = "STALL";
    const host = (await jsm.streams.add({ name: stream, subjects: ["stall.>"], num_replicas: 1 })).cluster?.leader;
    if (host === undefined) throw new Error("the R1 stream has no server");
    const frozen = cluster.server(host);
    // The placement of an R1 stream is not random (often the meta leader's): the meta leader moves instead.
    if ((await metaLeader()) === frozen) {
      const sys = await connect({ servers: cluster.urls, user: users.sys.user, pass: users.sys.pass });
      try {
        await waitUntil("the meta leader off the stream's server", async () => {
          if ((await metaLeader()) !== frozen) return true;
          await sys.request("$JS.API.META.LEADER.STEPDOWN", "{}", { timeout: 5000 }).catch(() => undefined);
          return undefined;
        }, 30_000, 1000);
      } finally {
        await sys.close();
      }
      await cluster.waitReady();
      t.log(`meta leader moved off ${frozen.name}`);
    }
    const js = jetstream(admin);
    for (let i = 0; i < MESSAGES; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => js.publish("stall.m", JSON.stringify({ n: i + j + 1 }))));
    }
    const stored = (await jsm.streams.info(stream)).state;
    t.is(stored.messages, MESSAGES, "the stream holds every message");
    t.is(stored.last_seq, MESSAGES);
    const meta = await metaLeader();
    const readFrom = cluster.servers.find((s) => s !== frozen && s !== meta)!;
    const nc = await connect({ servers: [readFrom.clientUrl], user: users.admin.user, pass: users.admin.pass, ignoreClusterUpdates: true });
    t.teardown(() => nc.close());
    t.log(`stream ${stream} (R1) on ${frozen.name}, meta leader ${meta?.name}, reading through ${readFrom.name}`);
    return { cluster, frozen, nc, stream };
  } finally {
    await admin.close();
  }
}

/**
 * readOrdered on the stream, freezing T once FREEZE_AFTER messages were delivered; `onStart` sees
 * every start() (the attempt's number). Resolves with the outcome, or with `hung` at DEADLINE_MS.
 */
async function readWithFreeze(
  s: Setup,
  onStart: (attempt: number) => void,
): Promise<{ attempts: Attempt[]; frozenAt: number; outcome: { n: number } | { err: unknown } | { hung: true }; tookMs: number }> {
  const attempts: Attempt[] = [];
  let delivered = 0;
  let frozenAt = -1;
  const t0 = performance.now();
  const read = readOrdered(s.nc, s.stream, {}, `stream ${s.stream}`, {
    start: () => {
      attempts.push({ startedAt: performance.now() - t0, seqs: [], payloads: [], lastMessageAt: undefined });
      onStart(attempts.length);
    },
    message: (m) => {
      const a = attempts.at(-1)!;
      a.seqs.push(m.seq);
      a.payloads.push((JSON.parse(new TextDecoder().decode(m.data)) as { n: number }).n);
      a.lastMessageAt = performance.now() - t0;
      if (++delivered === FREEZE_AFTER) {
        signal(s.frozen, "SIGSTOP");
        frozenAt = a.lastMessageAt;
      }
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    read.then(
      (n) => ({ n }),
      (err: unknown) => ({ err }),
    ),
    new Promise<{ hung: true }>((resolve) => (timer = setTimeout(() => resolve({ hung: true }), DEADLINE_MS))),
  ]);
  clearTimeout(timer);
  return { attempts, frozenAt, outcome, tookMs: performance.now() - t0 };
}

const describe = (attempts: Attempt[]) =>
  attempts.map((a, i) => `#${i + 1} at ${Math.round(a.startedAt)} ms: ${a.seqs.length} messages, last at ${a.lastMessageAt === undefined ? "-" : Math.round(a.lastMessageAt)} ms`).join("; ");

test.serial("a read stalled part-way by a frozen server: the watchdog stops it, start() again, and the retry (server back) is complete and exact", async (t) => {
  t.timeout(120_000, "the read hung: no watchdog, no retry");
  const s = await setUp(t, "back-");
  // The server says which consumers were made: a read deletes its own once done, so listing them after would find none.
  const created: string[] = [];
  const advisories = s.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.CREATED.${s.stream}.>`, { callback: (_err, m) => void created.push(m.subject.split(".").at(-1)!) });
  await s.nc.flush();
  let resumeTimer: NodeJS.Timeout | undefined;
  t.teardown(() => clearTimeout(resumeTimer));
  // The server wakes up a second after the watchdog gave up: the retry's first request waits on it.
  const { attempts, frozenAt, outcome, tookMs } = await readWithFreeze(s, (attempt) => {
    if (attempt === 2) resumeTimer = setTimeout(() => signal(s.frozen, "SIGCONT"), 1000);
  });
  t.log(`frozen at ${Math.round(frozenAt)} ms; ${describe(attempts)}; outcome after ${Math.round(tookMs)} ms: ${"err" in outcome ? String(outcome.err) : JSON.stringify(outcome)}`);
  if ("hung" in outcome) return t.fail(`readOrdered neither returned nor threw within ${DEADLINE_MS} ms of its start (frozen at ${Math.round(frozenAt)} ms): the stall watchdog did not fire`);
  if ("err" in outcome) return t.fail(`the read failed although the server came back: ${String(outcome.err)}`);

  t.true(frozenAt >= 0, "the server was frozen mid-read");
  const first = attempts[0]!;
  const last = attempts.at(-1)!;
  t.true(first.seqs.length >= FREEZE_AFTER && first.seqs.length < MESSAGES, `the first attempt stalled part-way (${first.seqs.length} of ${MESSAGES})`);
  // Usually the second attempt reads it all. Now and then the woken server, whose election timer ran
  // out while it was stopped, takes the meta leadership at once, the retry's new consumer is lost in
  // that, and the retry stalls too: the watchdog stops it as well, and the third attempt reads it all.
  t.true(attempts.length === 2 || attempts.length === 3, `start() called again for a retry, at most 3 attempts in all (${attempts.length})`);
  // The watchdog fired STALL_MS after the last message (within one check), not before, not much later.
  const stalledFor = attempts[1]!.startedAt - first.lastMessageAt!;
  t.true(stalledFor >= STALL_MS - 50 && stalledFor <= STALL_MS + CHECK_MS + 1500, `first retry ${Math.round(stalledFor)} ms after the last message`);
  if (attempts.length === 3) {
    // A second stall: the watchdog again, or the first request of the attempt unanswered.
    const gap = attempts[2]!.startedAt - attempts[1]!.startedAt;
    t.true(gap >= Math.min(STALL_MS, API_TIMEOUT_MS) - 50 && gap <= 1000 + STALL_MS + CHECK_MS + 2500, `third attempt ${Math.round(gap)} ms after the second`);
  }

  // The result is the last attempt's read alone: every message of the stream exactly once, in order, intact.
  const all = Array.from({ length: MESSAGES }, (_, i) => i + 1);
  t.is(outcome.n, MESSAGES, "the count is what the stream holds");
  t.is(last.seqs.length, MESSAGES);
  t.deepEqual(last.seqs, all, "every sequence once, in order, after the last start()");
  t.deepEqual(last.payloads, all, "each message's own content");
  t.true(tookMs < 3 * (STALL_MS + CHECK_MS) + 1000 + 5000, `done in ${Math.round(tookMs)} ms`);

  // Each attempt had a consumer of its own, and started clean in it: ordered consumers are named
  // <prefix>_1, and the client renames one <prefix>_2 when it receives messages out of order (as when
  // a retry asks for the first attempt's part-read consumer by name again, and gets it).
  // A retry whose consumer was lost in a meta election (3 attempts) made no consumer: the first
  // attempt's and the complete read's are the two every run has.
  await waitUntil("an advisory for the first attempt's consumer and the complete read's", async () => (created.length >= 2 ? true : undefined), 20_000, 100).catch((err: unknown) => {
    t.log(`consumers made for ${s.stream} so far: ${created.join(", ") || "none"}`);
    throw err;
  });
  // One more second for a late advisory of a middle attempt: its name is checked as well.
  await new Promise((r) => setTimeout(r, 1000));
  advisories.unsubscribe();
  t.log(`consumers made for ${s.stream}: ${created.join(", ")}`);
  t.true(new Set(created).size >= 2, `a consumer for the first attempt and one for the complete read: ${created.join(", ")}`);
  t.deepEqual(created.filter((n) => !n.endsWith("_1")), [], `fresh consumers only, none read out of order: ${created.join(", ")}`);
  // And none left behind once the server is back: the complete read's is deleted, and so is the stalled one's.
  const jsm = await jetstreamManager(s.nc);
  const left = async () => {
    const out: string[] = [];
    for await (const ci of jsm.consumers.list(s.stream)) out.push(ci.name);
    return out;
  };
  await waitUntil("no consumer left on the stream", async () => ((await left()).length === 0 ? true : undefined), 20_000, 500).catch(async () => t.fail(`consumers left: ${(await left()).join(", ")}`));
});

test.serial("a read whose server stays frozen: ReadStalled after exactly 3 attempts in about 3 x 5 s, saying how far it got", async (t) => {
  t.timeout(120_000, "the read hung: no watchdog, no retry");
  const s = await setUp(t, "gone-");
  const { attempts, frozenAt, outcome, tookMs } = await readWithFreeze(s, () => undefined);
  t.log(`frozen at ${Math.round(frozenAt)} ms; ${describe(attempts)}; outcome after ${Math.round(tookMs)} ms: ${"err" in outcome ? String(outcome.err) : JSON.stringify(outcome)}`);
  if ("hung" in outcome) return t.fail(`readOrdered neither returned nor threw within ${DEADLINE_MS} ms of its start (frozen at ${Math.round(frozenAt)} ms): the stall watchdog did not fire`);
  if ("n" in outcome) return t.fail(`the read returned ${outcome.n} although the stream's server stayed frozen`);

  t.true(frozenAt >= 0, "the server was frozen mid-read");
  const first = attempts[0]!;
  t.true(first.seqs.length >= FREEZE_AFTER && first.seqs.length < MESSAGES, `the first attempt stalled part-way (${first.seqs.length} of ${MESSAGES})`);
  t.true(outcome.err instanceof ReadStalled, `a ReadStalled error, not ${String(outcome.err)}`);
  t.is((outcome.err as Error).message, `reading stream ${s.stream} stalled after ${first.seqs.length} of ${MESSAGES} messages`);
  t.is(attempts.length, 3, "exactly 3 attempts: start() three times");
  t.deepEqual(attempts.slice(1).map((a) => a.seqs.length), [0, 0], "the retries read nothing from the frozen server");
  // Attempt 1 ends at the watchdog; 2 and 3 at the first request the frozen server does not answer.
  const stalledFor = attempts[1]!.startedAt - first.lastMessageAt!;
  t.true(stalledFor >= STALL_MS - 50 && stalledFor <= STALL_MS + CHECK_MS + 1500, `first retry ${Math.round(stalledFor)} ms after the last message`);
  const gap = attempts[2]!.startedAt - attempts[1]!.startedAt;
  t.true(gap >= Math.min(STALL_MS, API_TIMEOUT_MS) - 50 && gap <= STALL_MS + CHECK_MS + 1500, `third attempt ${Math.round(gap)} ms after the second`);
  t.true(tookMs >= 3 * STALL_MS - 500 && tookMs <= 3 * (STALL_MS + CHECK_MS) + 4000, `gave up after ${Math.round(tookMs)} ms, about 3 x ${STALL_MS} ms`);
});
