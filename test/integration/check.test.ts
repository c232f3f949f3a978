import { writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { freePort } from "../../src/local-cluster/free-port.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { runCli, type CliResult } from "../helpers/cli.js";
import { startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { tlsSetup } from "../helpers/credentials.js";

// `check` as a monitoring system runs it: the CLI in its own process against a real cluster and a
// real service. The service's clock is injected, so stalled (past the 1 h activity window) and
// stale (past the 24 h policy) arrive in seconds; the check's own thresholds are real time.
const HOUR = 3_600_000;
const [, middle, newest] = threeVersions();
const ctx = {} as { cluster: LocalCluster; monitor?: VersionMonitor };
let offset = 0;
const now = () => Date.now() + offset;
// Long enough that no server goes "offline" when the clock jumps.
const serviceFlags = { "offline-after": "100h", "evaluate-interval": "200ms" };
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "chk", binaries: [middle.path, middle.path, middle.path] }]);
});

test.after.always(async () => {
  await ctx.monitor?.stop();
  await stopCluster(ctx.cluster);
});

const app = () => ["--server", ctx.cluster.urls.join(","), "--user", users.app.user, "--password", users.app.pass];
const check = (...args: string[]) => runCli(["check", ...app(), ...args]);

/** Runs the check until its exit code and output are the expected ones (the service renders the report on every change and every 5 s). */
function checkUntil(what: string, code: number, stdout: RegExp, ...args: string[]): Promise<CliResult> {
  let last: CliResult | undefined;
  return waitUntil(
    what,
    async () => {
      last = await check(...args);
      return last.code === code && stdout.test(last.stdout) ? last : undefined;
    },
    30_000,
    200,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last: exit ${last?.code}, ${JSON.stringify(last?.stdout)} ${JSON.stringify(last?.stderr)}`);
  });
}

/** Exactly one line on stdout, nothing on stderr: what Nagios, Icinga and Sensu read. */
function oneStatusLine(t: { is: (a: unknown, b: unknown, m?: string) => void }, r: CliResult): void {
  t.is(r.stdout.split("\n").length, 2, r.stdout);
  t.is(r.stdout.at(-1), "\n");
  t.is(r.stderr, "");
}

test.serial("no service running: UNKNOWN, exit 3", async (t) => {
  const r = await check("--timeout", "1s");
  t.is(r.code, 3);
  t.regex(r.stdout, /^UNKNOWN VERSIONS Unknown:no version-monitor service answered on versions\.report at nats:\/\/127\.0\.0\.1:\d+,.* \(is "nats-version-monitor serve" running\?\)\n$/);
  oneStatusLine(t, r);
  const json = await check("--timeout", "1s", "--format", "json");
  t.is(json.code, 3);
  t.like(JSON.parse(json.stdout), { status: "UNKNOWN", code: 3, perf_data: [] });

  // Nothing listens there at all.
  const closed = await runCli(["check", "--server", `nats://127.0.0.1:${await freePort()}`, "--timeout", "1s"]);
  t.is(closed.code, 3);
  t.regex(closed.stdout, /^UNKNOWN VERSIONS Unknown:cannot connect to nats:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  oneStatusLine(t, closed);
});

test.serial("consistent: OK, exit 0, with the perf data", async (t) => {
  ctx.monitor = await startMonitor(ctx.cluster, serviceFlags, now);
  const r = await checkUntil("three servers, one version", 0, /3 server\(s\)/);
  t.is(r.stdout, `OK VERSIONS OK:3 server(s) on ${middle.version} | servers=3 versions=1 outliers=0 mismatch_seconds=0s;3600;86400 unreachable=0\n`);
  oneStatusLine(t, r);
  const text = await check("--format", "text");
  t.is(text.code, 0);
  t.regex(text.stdout, new RegExp(`^VERSIONS: OK \\(exit 0\\)\\n  OK  3 server\\(s\\) on ${esc(middle.version)}\\n  servers 3, versions 1, outliers 0, mismatch_seconds 0s \\(warning 3600s, critical 86400s\\), unreachable 0\\n$`));
});

test.serial("a rolling upgrade: OK while younger than --warn-after, then WARNING, then CRITICAL past --critical-after", async (t) => {
  const server = ctx.cluster.server("chk-1");
  await server.stop();
  await server.start(newest.path);
  // Two servers still run the old version: they are the majority, the upgraded one the outlier.
  const young = await checkUntil("the rolling upgrade seen", 0, /rolling-upgrade/);
  t.regex(
    young.stdout,
    new RegExp(`^OK VERSIONS OK:rolling-upgrade for \\d+s \\(warning at 1h\\): 1 of 3 server\\(s\\) not on ${esc(middle.version)} \\| servers=3 versions=2 outliers=1 mismatch_seconds=\\d+s;3600;86400 unreachable=0\\n$`),
  );

  const warning = await checkUntil("a warning after 1 s", 1, /^WARNING/, "--warn-after", "1s");
  t.regex(warning.stdout, new RegExp(`^WARNING VERSIONS Warn:rolling-upgrade for \\d+s \\(critical at 1d\\): 1 of 3 server\\(s\\) not on ${esc(middle.version)} \\| servers=3 versions=2 outliers=1 mismatch_seconds=\\d+s;1;86400 unreachable=0\\n$`));
  oneStatusLine(t, warning);

  const critical = await checkUntil("critical after 2 s", 2, /^CRITICAL/, "--warn-after", "1s", "--critical-after", "2s");
  t.regex(critical.stdout, /^CRITICAL VERSIONS Crit:rolling-upgrade for \d+s \(critical at 2s\): 1 of 3 .* mismatch_seconds=\d+s;1;2 unreachable=0\n$/);
  oneStatusLine(t, critical);

  const json = await check("--warn-after", "1s", "--critical-after", "2s", "--format", "json");
  t.is(json.code, 2);
  const parsed = JSON.parse(json.stdout) as { status: string; code: number; critical: string[]; perf_data: { name: string; value: number; warning?: number; critical?: number }[] };
  t.like(parsed, { status: "CRITICAL", code: 2, check_name: "VERSIONS" });
  t.regex(parsed.critical[0]!, /^rolling-upgrade for \d+s/);
  t.deepEqual(parsed.perf_data.slice(0, 3), [
    { name: "servers", value: 3 },
    { name: "versions", value: 2 },
    { name: "outliers", value: 1 },
  ]);
  t.like(parsed.perf_data[3], { name: "mismatch_seconds", warning: 1, critical: 2 });

  // --cluster asks for that cluster's report and names it.
  const cluster = await check("--cluster", "chk");
  t.is(cluster.code, 0);
  t.regex(cluster.stdout, /^OK VERSIONS OK:cluster chk rolling-upgrade for \d+s/);
  const nowhere = await check("--cluster", "nowhere");
  t.is(nowhere.code, 3);
  t.regex(nowhere.stdout, /^UNKNOWN VERSIONS Unknown:no server of cluster nowhere is known \| servers=0 /);
});

test.serial("stalled: WARNING; stale: CRITICAL (the service's clock moved past its activity window, then its 24 h policy)", async (t) => {
  offset += 2 * HOUR;
  const stalled = await checkUntil("stalled", 1, /Warn:stalled/);
  t.regex(stalled.stdout, new RegExp(`^WARNING VERSIONS Warn:stalled for 2h(\\d+m)? \\(critical at 1d\\): 1 of 3 server\\(s\\) not on ${esc(middle.version)} .*\\| servers=3 versions=2 outliers=1 mismatch_seconds=7\\d{3}s;3600;86400 `));
  // The check's own thresholds still apply: a stalled upgrade past --critical-after is critical.
  const late = await check("--critical-after", "2h");
  t.is(late.code, 2);
  t.regex(late.stdout, /^CRITICAL VERSIONS Crit:stalled for 2h/);

  offset += 23 * HOUR;
  const stale = await checkUntil("stale", 2, /Crit:stale/);
  t.regex(stale.stdout, /^CRITICAL VERSIONS Crit:stale for 1d1h: 1 of 3 server\(s\) not on .* \| servers=3 versions=2 outliers=1 mismatch_seconds=9\d{4}s;3600;86400 /);
  // However long the thresholds: stale is the service's own verdict.
  t.is((await check("--warn-after", "30d", "--critical-after", "60d")).code, 2);
});

test.serial("bad flags: one UNKNOWN status line, exit 3, in the format asked for", async (t) => {
  for (const [args, message] of [
    [["--warn-after", "soon"], /^UNKNOWN VERSIONS Unknown:--warn-after: "soon" is not a duration/],
    [["--warn-after", "2d"], /^UNKNOWN VERSIONS Unknown:--warn-after 2d is later than --critical-after 24h\n$/],
    [["--format", "xml"], /^UNKNOWN VERSIONS Unknown:--format: "xml" is not one of nagios, json, text\n$/],
    [["--bogus"], /^UNKNOWN VERSIONS Unknown:check: Unknown option '--bogus'\n$/],
    [["--server", "nats://127.0.0.1:4222", "extra"], /^UNKNOWN VERSIONS Unknown:check: unexpected argument "extra"\n$/],
  ] as const) {
    const r = await runCli(["check", ...args]);
    t.is(r.code, 3, args.join(" "));
    t.regex(r.stdout, message);
    oneStatusLine(t, r);
  }
  const json = await runCli(["check", "--bogus", "--format", "json"]);
  t.is(json.code, 3);
  t.deepEqual(JSON.parse(json.stdout), {
    status: "UNKNOWN",
    code: 3,
    check_name: "VERSIONS",
    message: "check: Unknown option '--bogus'",
    critical: [],
    warning: [],
    ok: [],
    unknown: ["check: Unknown option '--bogus'"],
    perf_data: [],
  });
  const help = await runCli(["check", "--help"]);
  t.is(help.code, 0);
  t.regex(help.stdout, /nats-version-monitor check/);
  t.regex(help.stdout, /3 UNKNOWN/);
});

test.serial("the quick path: a bare host:port, a dead server first in the list, a refused password, a refused publish", async (t) => {
  const bare = await runCli(["check", "--server", ctx.cluster.urls[1]!.replace("nats://", ""), "--user", users.app.user, "--password", users.app.pass]);
  t.is(bare.code, 2, bare.stdout);
  t.regex(bare.stdout, /^CRITICAL VERSIONS Crit:stale/);

  const dead = `nats://127.0.0.1:${await freePort()}`;
  const failover = await runCli(["check", "--server", `${dead},${ctx.cluster.urls[2]!}`, "--user", users.app.user, "--password", users.app.pass]);
  t.is(failover.code, 2, failover.stdout);

  const wrong = await runCli(["check", "--server", ctx.cluster.urls[0]!, "--user", users.app.user, "--password", "wrong"]);
  t.is(wrong.code, 3);
  t.regex(wrong.stdout, /^UNKNOWN VERSIONS Unknown:cannot connect to nats:\/\/127\.0\.0\.1:\d+: Authorization Violation\n$/);

  // The service's own user may not publish requests to it.
  const refused = await runCli(["check", "--server", ctx.cluster.urls[0]!, "--user", users.monitor.user, "--password", users.monitor.pass]);
  t.is(refused.code, 3);
  t.regex(refused.stdout, /^UNKNOWN VERSIONS Unknown:request failed: Permissions Violation for Publish to "versions\.report"\n$/);

  // report, events and upgrade status take the same path.
  const report = await runCli(["report", ...app()]);
  t.is(report.code, 0, report.stderr);
  t.regex(report.stdout, /^MISMATCH {2}target/);
  // The stale event is stored a moment after the report says stale; whether the consistent cluster
  // was recorded before the upgrade began is a race, so the first event may or may not say so.
  const events = await waitUntil("the stale event in the history", async () => {
    const r = await runCli(["events", ...app(), "--cluster", "chk"]);
    return r.code === 0 && /stalled -> stale/.test(r.stdout) ? r : undefined;
  });
  t.regex(events.stdout, /#\d+ detected {2}(consistent -> )?rolling-upgrade[\s\S]*#\d+ stale {2}stalled -> stale/);
  const upgrade = await runCli(["upgrade", "status", ...app(), "--cluster", "nowhere"]);
  t.is(upgrade.code, 1);
  t.regex(upgrade.stderr, /^nats-version-monitor: service error 404: no server of cluster "nowhere" is known\n$/);
});

test.serial("TLS: the check goes through nats.js, whether the flags or the server ask for it", async (t) => {
  const tls = tlsSetup();
  const conf = join(tls.dir, "tls.conf");
  writeFileSync(
    conf,
    [
      `tls: { cert_file: "${tls.serverCert}", key_file: "${tls.serverKey}" }`,
      `accounts: { SYS: { users: [ { user: sys, password: sys-secret } ] }, APP: { users: [ { user: app, password: app-secret } ] } }`,
      `system_account: SYS`,
    ].join("\n") + "\n",
  );
  const secure = await startCluster([{ name: "tls", binaries: [newest.path] }], "", conf);
  t.teardown(() => stopCluster(secure));
  const url = secure.urls[0]!;
  // With the CA: connected over TLS, and nobody serves the report there.
  const withCa = await runCli(["check", "--server", url, "--user", "app", "--password", "app-secret", "--tlsca", tls.ca, "--timeout", "1s"]);
  t.is(withCa.code, 3);
  t.regex(withCa.stdout, /^UNKNOWN VERSIONS Unknown:no version-monitor service answered on versions\.report/);
  // Without it the server's INFO asks for TLS: the quick path stops before sending the password,
  // and nats.js cannot verify the server's certificate.
  const withoutCa = await runCli(["check", "--server", url, "--user", "app", "--password", "app-secret", "--timeout", "1s"]);
  t.is(withoutCa.code, 3);
  t.regex(withoutCa.stdout, /^UNKNOWN VERSIONS Unknown:cannot connect to nats:\/\/127\.0\.0\.1:\d+: /);
  t.regex(withoutCa.stdout, /certificate/);
});
