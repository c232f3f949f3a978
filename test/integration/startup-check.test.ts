import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import { runCli, spawnCli, type CliResult } from "../helpers/cli.js";
import { startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { tempDir } from "../helpers/temp-dir.js";

const [oldest, , newest] = threeVersions();

/**
 * The shipped accounts plus the mistakes an operator makes: a system user that may not ping, an
 * application user that may not publish events, an account without JetStream.
 */
function mistakenAccounts(): string {
  const base = readFileSync(fileURLToPath(new URL("../../nats-conf/accounts.conf", import.meta.url)), "utf8");
  const withUsers = base
    .replace(
      /SYS: \{\n    users: \[\n/,
      `SYS: {\n    users: [\n      { user: sys-noping, password: s, permissions: { publish: { allow: [">"], deny: ["$SYS.REQ.SERVER.PING"] } } }\n`,
    )
    .replace(
      /APP: \{\n    jetstream: enabled\n    users: \[\n/,
      `APP: {\n    jetstream: enabled\n    users: [\n` +
        `      { user: monitor-nomismatch, password: s, permissions: { publish: { allow: [">"], deny: ["versions.mismatch", "versions.mismatch.>"] } } }\n` +
        `      { user: monitor-noevents, password: s, permissions: { publish: { allow: [">"], deny: ["version-monitor-events.>"] } } }\n` +
        `      { user: monitor-nobucket, password: s, permissions: { publish: { allow: [">"], deny: ["$JS.API.STREAM.CREATE.KV_version-monitor"] } } }\n` +
        `      { user: monitor-noreport, password: s, permissions: { subscribe: { allow: [">"], deny: ["versions.report"] } } }\n`,
    )
    .replace(/\naccounts: \{\n/, `\naccounts: {\n  NOJS: { users: [ { user: nojs, password: s } ] }\n`);
  if (!withUsers.includes("sys-noping") || !withUsers.includes("monitor-nomismatch") || !withUsers.includes("NOJS")) {
    throw new Error("nats-conf/accounts.conf changed shape: update mistakenAccounts()");
  }
  const path = join(tempDir("nvm-accounts-"), "accounts.conf");
  writeFileSync(path, withUsers);
  return path;
}

const ctx: { modern?: LocalCluster; legacy?: LocalCluster } = {};

test.before(async () => {
  const accounts = mistakenAccounts();
  // USER.INFO (what a user may publish) exists from 2.10; 2.9 is checked by probing instead.
  [ctx.modern, ctx.legacy] = await Promise.all([
    startCluster([{ name: "check", binaries: [newest.path] }], "modern-", accounts),
    startCluster([{ name: "check", binaries: [oldest.path] }], "legacy-", accounts),
  ]);
});
test.after.always(async () => {
  await Promise.all([stopCluster(ctx.modern), stopCluster(ctx.legacy)]);
});

function serve(cluster: LocalCluster, app: { user: string; pass: string }, sys: { user: string; pass: string }, extra: string[] = []): Promise<CliResult> {
  const args = ["serve", "--server", cluster.urls.join(","), "--user", app.user, "--password", app.pass];
  return runCli([...args, "--sys-user", sys.user, "--sys-password", sys.pass, "--log-level", "error", ...extra]);
}

/** Exit 2 and exactly one line on stderr, which must say what the test expects. */
function assertOneLine(t: import("ava").ExecutionContext, r: CliResult, expected: RegExp[]): void {
  const lines = r.stderr.trim().split("\n");
  t.is(r.code, 2, r.stderr);
  t.is(lines.length, 1, r.stderr);
  for (const e of expected) t.regex(lines[0]!, e);
  t.log(lines[0]);
}

test.serial("a system connection in the application account exits 2, naming the account and the --sys-* settings", async (t) => {
  const r = await serve(ctx.modern!, users.monitor, users.admin);
  assertOneLine(t, r, [/system connection \(user "admin"\)/, /account "APP"/, /not the system account/, /--sys-user/, /NATS_SYS_CREDS/]);
});

test.serial("on 2.9, where the server cannot name the account, the message still says it is not the system account", async (t) => {
  const r = await serve(ctx.legacy!, users.monitor, users.admin);
  assertOneLine(t, r, [/system connection \(user "admin"\)/, /not in the system account/, /--sys-user/]);
});

test.serial("a system user denied $SYS.REQ.SERVER.PING exits 2 naming the subject", async (t) => {
  const r = await serve(ctx.modern!, users.monitor, { user: "sys-noping", pass: "s" });
  assertOneLine(t, r, [/system connection \(user "sys-noping"\) may not publish to "\$SYS\.REQ\.SERVER\.PING"/, /publish permissions/]);
});

test.serial("--wait-for-servers keeps waiting instead, saying why at warn level every interval", async (t) => {
  const child = spawnCli(["serve", "--server", ctx.modern!.urls.join(","), "--user", users.monitor.user, "--password", users.monitor.pass,
    "--sys-user", users.admin.user, "--sys-password", users.admin.pass, "--wait-for-servers", "--poll-interval", "1s", "--log-level", "warn"]);
  t.teardown(() => void child.kill("SIGKILL"));
  const warnings = () => child.output().stdout.split("\n").filter((l) => l.includes("waiting for servers (--wait-for-servers)"));
  await waitUntil("three warnings", () => (warnings().length >= 3 ? true : undefined), 20_000);
  t.is(child.exitCode, null, "still running");
  const first = JSON.parse(warnings()[0]!) as { level: number; msg: string };
  t.is(first.level, 40);
  t.regex(first.msg, /account "APP", not the system account/);
  child.kill("SIGTERM");
  await child.done;
});

test.serial("an application user without JetStream exits 2 naming the account", async (t) => {
  const r = await serve(ctx.modern!, { user: "nojs", pass: "s" }, users.monitorSys);
  assertOneLine(t, r, [/application connection \(user "nojs"\)/, /account "NOJS" has no JetStream/, /jetstream: enabled/, /--user/]);
});

test.serial("an application user that may not publish on versions.mismatch exits 2 naming the subject", async (t) => {
  const r = await serve(ctx.modern!, { user: "monitor-nomismatch", pass: "s" }, users.monitorSys);
  assertOneLine(t, r, [/application connection \(user "monitor-nomismatch"\) may not publish to "versions\.mismatch"/, /did not republish/]);
});

test.serial("an application user that may not create the bucket exits 2 naming the JetStream API subject", async (t) => {
  const r = await serve(ctx.modern!, { user: "monitor-nobucket", pass: "s" }, users.monitorSys);
  assertOneLine(t, r, [/application connection \(user "monitor-nobucket"\) may not publish to "\$JS\.API\.STREAM\.CREATE\.KV_version-monitor"/]);
});

test.serial("an application user that may not subscribe to versions.report exits 2 naming the subject", async (t) => {
  const r = await serve(ctx.legacy!, { user: "monitor-noreport", pass: "s" }, users.monitorSys);
  assertOneLine(t, r, [/application connection \(user "monitor-noreport"\) may not subscribe to "versions\.report", which it needs to answer reports/]);
});

test.serial("on 2.9, an application user that may not publish into the event stream exits 2 naming the subject", async (t) => {
  const r = await serve(ctx.legacy!, { user: "monitor-noevents", pass: "s" }, users.monitorSys);
  assertOneLine(t, r, [/may not publish to "version-monitor-events\.mismatch"/, /event stream/]);
});
