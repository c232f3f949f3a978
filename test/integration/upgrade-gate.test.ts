import test from "ava";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import type { UpgradeAnswer } from "../../src/nats/upgrade-gatekeeper.js";
import { runCli } from "../helpers/cli.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";

const [, middle, newest] = threeVersions();
const ctx = {} as { cluster: LocalCluster; monitor: VersionMonitor; admin: NatsConnection; sys: NatsConnection };

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "gate", binaries: [middle.path, middle.path, middle.path] }]);
  ctx.monitor = await startMonitor(ctx.cluster, { "poll-interval": "1s" });
  ctx.admin = await connectAs(ctx.cluster, users.admin);
  ctx.sys = await connectAs(ctx.cluster, users.sys);
  await (await jetstreamManager(ctx.admin)).streams.add({ name: "ORDERS", subjects: ["orders.>"], num_replicas: 3, max_bytes: 400 * 1024 * 1024 });
  await waitUntil("three servers", () => (ctx.monitor.report().server_count === 3 ? true : undefined), 20_000);
});

test.after.always(async () => {
  await ctx.monitor?.stop();
  await Promise.allSettled([ctx.admin?.close(), ctx.sys?.close()]);
  await stopCluster(ctx.cluster);
});

const appFlags = () => ["--server", ctx.cluster.urls.join(","), "--user", users.app.user, "--password", users.app.pass];
/**
 * Asks the gate as a script would: a request caught by a server going down (the service's
 * connection on it, the reply lost) is asked again.
 */
async function ask(body = ""): Promise<UpgradeAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await ctx.admin.request("versions.upgrade", body, { timeout: 5000 })).json<UpgradeAnswer>();
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Every server's own full health check, asked by the test itself. */
async function healthz(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const it = await ctx.sys.requestMany("$SYS.REQ.SERVER.PING.HEALTHZ", "", { maxWait: 2000, strategy: "count", maxMessages: 3 });
  for await (const m of it) {
    const o = m.json<{ server: { name: string }; data: { status: string } }>();
    out[o.server.name] = o.data.status;
  }
  return out;
}

/** Messages written while a server is down, which it has to catch up on when it is back. */
async function write(count: number): Promise<void> {
  const js = jetstream(ctx.admin);
  const payload = new Uint8Array(2048);
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    pending.push(js.publish("orders.new", payload));
    if (pending.length >= 500) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
}

test.serial("a whole rolling upgrade gated by upgrade wait: wait while a replica catches up, never ready while a HEALTHZ fails", async (t) => {
  // Asked for the first time, the gate holds a few seconds to see that all stays well.
  const opening = await ask();
  t.deepEqual(opening.clusters[0]!.reasons.map((r) => r.key), ["settle"]);
  const first = await waitUntil("the gate open", async () => {
    const a = await ask();
    return a.verdict === "ready" ? a : undefined;
  }, 10_000);
  t.is(first.clusters[0]!.next, null, "nothing to upgrade yet");

  // The gate is watched all along; whenever it says ready, every server's own HEALTHZ must be ok.
  const log: string[] = [];
  let stepping = true;
  let watching = true;
  /** What held the gate while each server was back and catching up (by the server's index). */
  let phase = -1;
  const heldBy = new Map<number, Set<string>>();
  let readyChecks = 0;
  const violations: string[] = [];
  t.teardown(() => {
    watching = false;
  });
  const watcher = (async () => {
    let last = "";
    let lastHealth = "";
    while (watching) {
      const [a, h] = await Promise.all([ask().catch(() => undefined), healthz().catch(() => ({}))]);
      const healthLine = `HEALTHZ ${JSON.stringify(h)}`;
      if (healthLine !== lastHealth) log.push(`${new Date().toISOString()} ${healthLine}`);
      lastHealth = healthLine;
      if (a) {
        const line = `${a.verdict} ${a.clusters[0]!.reasons.map((r) => r.key).join(",")}`;
        if (!stepping) for (const r of a.clusters[0]!.reasons) heldBy.set(phase, (heldBy.get(phase) ?? new Set()).add(`${r.key} ${r.text}`));
        if (line !== last) log.push(`${new Date().toISOString()} ${line}`);
        last = line;
        if (a.verdict === "ready" && !stepping) {
          readyChecks++;
          const h = await healthz();
          if (Object.keys(h).length !== 3 || Object.values(h).some((s) => s !== "ok")) violations.push(`ready while HEALTHZ ${JSON.stringify(h)}`);
        }
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  })();

  for (const [i, name] of ["gate-1", "gate-2", "gate-3"].entries()) {
    stepping = true;
    const server = ctx.cluster.server(name);
    await server.lameDuck();
    const down = await ask();
    t.is(down.verdict, "wait", `${name} down: ${JSON.stringify(down.clusters[0]!.reasons)}`);
    t.true(down.clusters[0]!.reasons.some((r) => r.key === `lame-duck:${name}` || r.key === `shut-down:${name}`), JSON.stringify(down.clusters[0]!.reasons));
    // The first replica comes back to 200 MB it has not got; the others to less.
    await write(i === 0 ? 100_000 : 20_000);
    server.spawn(newest.path);
    phase = i;
    stepping = false;
    // Right after it is back (running, on its new version), the gate still waits for it.
    const back = await waitUntil(`${name} running on ${newest.version}`, async () => {
      const a = await ask();
      const s = a.clusters[0]!.servers.find((x) => x.name === name);
      return s?.state === "running" && s.version === newest.version ? a : undefined;
    }, 30_000);
    t.not(back.verdict, "ready", `right after ${name} is back: ${JSON.stringify(back.clusters[0]!.reasons)}`);
    const checkedBefore = readyChecks;
    const gate = await runCli(["upgrade", "wait", ...appFlags(), "--timeout", "120s", "--interval", "300ms"]);
    t.is(gate.code, 0, gate.stderr);
    t.regex(gate.stdout, /^ready: gate: /m);
    // A gate that opened really is open: the server's own health check agrees.
    const now = await healthz();
    if (Object.values(now).some((x) => x !== "ok")) t.log(log.join("\n"));
    t.deepEqual(now, { "gate-1": "ok", "gate-2": "ok", "gate-3": "ok" });
    // The watcher too sees the open gate, and checks it against HEALTHZ, before the next server
    // goes down: on a loaded machine its polls could otherwise miss every short ready window.
    await waitUntil(`the watcher checking the open gate after ${name}`, () => (readyChecks > checkedBefore ? true : undefined), 15_000);
  }
  stepping = true;
  watching = false;
  await watcher;
  t.log(log.join("\n"));
  t.deepEqual(violations, []);
  // The first server came back to 200 MB it had not got: the gate held for it, naming the stream
  // or the meta group (or the server's own failing health check, which names them).
  const held = [...(heldBy.get(0) ?? [])];
  t.log(`held the gate while gate-1 caught up: ${held.join(" | ")}`);
  t.true(held.some((r) => /^(unhealthy|meta:(current|offline)):gate-1 /.test(r) && /ORDERS|meta/.test(r)), held.join(" | "));
  t.true(readyChecks > 0, "ready verdicts were checked against HEALTHZ");
  const done = await ask();
  t.is(done.verdict, "ready");
  t.is(done.clusters[0]!.target, newest.version);
  t.is(done.clusters[0]!.next, null, "every server runs the target");
});

test.serial("upgrade wait: a time-out exits 3 with one line, a gone server exits 1 (blocked), a bad cluster is a 404", async (t) => {
  const victim = ctx.cluster.server("gate-2");
  await victim.lameDuck();
  const timedOut = await runCli(["upgrade", "wait", ...appFlags(), "--timeout", "2s", "--interval", "500ms"]);
  t.is(timedOut.code, 3, timedOut.stderr);
  t.is(timedOut.stderr.trim().split("\n").length, 1);
  t.regex(timedOut.stderr, /^nats-version-monitor: timed out after 2s waiting for the upgrade gate to be ready; last: wait: gate: gate-2 entered lame duck mode/);
  await victim.start();
  await waitUntil("ready again", async () => ((await ask()).verdict === "ready" ? true : undefined), 60_000);

  // SIGKILL: no lame duck, no SHUTDOWN: unreachable, which needs a person.
  ctx.cluster.server("gate-3").kill();
  // Answers are reused for a second: one from before the kill may still say ready.
  await new Promise((r) => setTimeout(r, 1500));
  const blocked = await runCli(["upgrade", "wait", ...appFlags(), "--timeout", "60s", "--interval", "500ms"]);
  t.is(blocked.code, 1, blocked.stderr);
  t.regex(blocked.stderr, /^nats-version-monitor: blocked: .*gate: gate-3 is unreachable/);
  const status = await runCli(["upgrade", "status", ...appFlags()]);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /^BLOCKED/);
  t.regex(status.stdout, /blocked: gate-3 is unreachable/);
  await ctx.cluster.server("gate-3").start();

  const unknown = await runCli(["upgrade", "status", ...appFlags(), "--cluster", "nowhere"]);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /service error 404: no server of cluster "nowhere" is known/);
});
