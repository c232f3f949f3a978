import test from "ava";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import { startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { runCli, spawnCli } from "../helpers/cli.js";

const ctx = {} as { cluster: LocalCluster; serve: ReturnType<typeof spawnCli> };
const [oldest, , newest] = threeVersions();

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "cli", binaries: [oldest.path, newest.path, newest.path] }]);
  ctx.serve = spawnCli(["serve", "--poll-interval", "5s", "--log-level", "debug"], {
    NATS_URL: ctx.cluster.urls.join(","),
    NATS_USER: users.monitor.user,
    NATS_PASSWORD: users.monitor.pass,
    NATS_SYS_USER: users.monitorSys.user,
    NATS_SYS_PASSWORD: users.monitorSys.pass,
  });
});

test.after.always(async () => {
  ctx.serve?.kill("SIGKILL");
  await stopCluster(ctx.cluster);
});

const appFlags = () => ["--server", ctx.cluster.urls[1]!, "--user", users.app.user, "--password", users.app.pass];

test.serial("report prints a table of the running service's report", async (t) => {
  const r = await waitUntil("a report with three servers", async () => {
    const out = await runCli(["report", ...appFlags()]);
    return out.code === 0 && out.stdout.includes("3 server(s)") ? out : undefined;
  });
  t.regex(r.stdout, new RegExp(`^MISMATCH  target ${newest.version.replace(/\./g, "\\.")}  3 server\\(s\\)`, "m"));
  t.regex(r.stdout, /^\*\s+cli-1\s+cli\s+\S+\s+minor \(older\)/m);
  t.regex(r.stdout, /^\s+cli-2\s+cli\s+/m);
  t.regex(r.stdout, /^state: rolling-upgrade since \S+ \(\d+s\)/m);
  t.regex(r.stdout, /action: finish the rolling upgrade to \S+: 1 server\(s\) left/);
  t.regex(r.stdout, /^seen: 3 of 3 expected server\(s\) answered the last ping$/m);
});

test.serial("report --json prints the raw answer; filters pass through", async (t) => {
  const r = await runCli(["report", "--json", "--cluster", "cli", "--server-name", "cli-1", ...appFlags()]);
  t.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  t.deepEqual(json.filter, { cluster: "cli", server: "cli-1" });
  t.deepEqual(json.servers.map((s: { name: string }) => s.name), ["cli-1"]);
});

test.serial("report against a cluster without the service: one line, exit 1", async (t) => {
  const other = await startCluster([{ name: "empty", binaries: [newest.path] }]);
  t.teardown(() => stopCluster(other));
  const r = await runCli(["report", "--server", other.urls[0]!, "--user", users.app.user, "--password", users.app.pass, "--timeout", "1s"]);
  t.is(r.code, 1);
  t.regex(r.stderr, /^nats-version-monitor: no version-monitor service answered on versions\.report/);
  t.is(r.stderr.trim().split("\n").length, 1);
});

test.serial("bad flags and environment: one line, exit 2", async (t) => {
  for (const [args, env, message] of [
    [["serve", "--bogus"], {}, /Unknown option '--bogus'/],
    [["serve", "--poll-interval", "soon"], {}, /--poll-interval: "soon" is not a duration/],
    [["serve"], { NATS_URL: "http://x" }, /NATS_URL: "http:\/\/x" must be nats:\/\//],
    [["report", "--page", "0"], {}, /--page: must be a positive integer/],
    [["frobnicate"], {}, /unknown command "frobnicate"/],
  ] as const) {
    const r = await runCli([...args], { ...env });
    t.is(r.code, 2, args.join(" "));
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

test.serial("serve with a wrong system-account password: one line, exit 1, nothing left running", async (t) => {
  const r = await runCli(["serve"], {
    NATS_URL: ctx.cluster.urls.join(","),
    NATS_USER: users.monitor.user,
    NATS_PASSWORD: users.monitor.pass,
    NATS_SYS_USER: users.monitorSys.user,
    NATS_SYS_PASSWORD: "wrong",
  });
  t.is(r.code, 1);
  t.regex(r.stderr, /^nats-version-monitor: system account connection failed: /);
  t.is(r.stderr.trim().split("\n").length, 1);
  t.false(r.stderr.includes(users.monitor.pass), "no password in the message");
});

test.serial("serve stops on SIGTERM with exit 0, and its logs hold no credentials", async (t) => {
  await waitUntil("serve logged its start", () => (ctx.serve.output().stdout.includes("service started") ? true : undefined));
  ctx.serve.kill("SIGTERM");
  const r = await ctx.serve.done;
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  t.true(lines.some((l) => l["msg"] === "stopped"));
  for (const secret of [users.monitor.pass, users.monitorSys.pass]) t.false(r.stdout.includes(secret) || r.stderr.includes(secret), secret);
});
