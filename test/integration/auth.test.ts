import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { resolveMonitorConfig } from "../../src/config/monitor-config.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import { VersionMonitor } from "../../src/monitor.js";
import { captureLogger, startCluster, stopCluster, threeVersions, waitUntil } from "../helpers/cluster.js";
import { nkeyUser, operatorSetup, tlsSetup } from "../helpers/credentials.js";
import { runCli } from "../helpers/cli.js";

// Each way of authenticating that the service takes, against a real server configured for it.
const [, , newest] = threeVersions();

async function withServer(accountsConf: string, body: (cluster: LocalCluster) => Promise<void>): Promise<void> {
  const cluster = await startCluster([{ name: "auth", binaries: [newest.path] }], "", accountsConf);
  try {
    await body(cluster);
  } finally {
    await stopCluster(cluster);
  }
}

async function reportsOneServer(flags: Record<string, string>, env: Record<string, string> = {}): Promise<{ logs: string }> {
  const { log, text } = captureLogger("debug");
  const monitor = await VersionMonitor.start({ config: resolveMonitorConfig(flags, env), log });
  try {
    await waitUntil("the server in the report", () => (monitor.report().server_count === 1 ? true : undefined));
  } finally {
    await monitor.stop();
  }
  return { logs: text() };
}

test("creds files (operator mode, JWT): both connections", async (t) => {
  const setup = await operatorSetup();
  const file = join(setup.appCreds, "..", "operator.conf");
  writeFileSync(file, setup.conf + "\n");
  await withServer(file, async (cluster) => {
    const { logs } = await reportsOneServer({ server: cluster.urls[0]!, creds: setup.appCreds, "sys-creds": setup.sysCreds });
    t.regex(logs, /"auth":"creds"/);
    t.false(logs.includes("SUAM") || logs.includes("eyJ"), "no seed or JWT in the logs");
  });
});

test("TLS with a client certificate, and nkey seeds: both connections; natscli context for the CLI", async (t) => {
  const tls = tlsSetup();
  const app = nkeyUser(tls.dir, "monitor");
  const sys = nkeyUser(tls.dir, "monitor-sys");
  const conf = join(tls.dir, "tls.conf");
  writeFileSync(
    conf,
    [
      `tls: { cert_file: "${tls.serverCert}", key_file: "${tls.serverKey}", ca_file: "${tls.ca}", verify: true }`,
      `accounts: {`,
      `  SYS: { users: [ { nkey: ${sys.publicKey} } ] }`,
      `  APP: { jetstream: enabled, users: [ { nkey: ${app.publicKey} } ] }`,
      `}`,
      `system_account: SYS`,
    ].join("\n") + "\n",
  );
  await withServer(conf, async (cluster) => {
    const flags = {
      server: cluster.urls[0]!.replace("nats://", "tls://"),
      nkey: app.seedFile,
      "sys-nkey": sys.seedFile,
      tlscert: tls.clientCert,
      tlskey: tls.clientKey,
      tlsca: tls.ca,
    };
    const { logs } = await reportsOneServer(flags);
    t.regex(logs, /"auth":"nkey"/);
    t.regex(logs, /"tls":true/);

    // Without the client certificate the server refuses the connection.
    const refused = await runCli(["report", "--server", flags.server, "--nkey", app.seedFile, "--tlsca", tls.ca, "--timeout", "1s"]);
    t.is(refused.code, 1);
    t.regex(refused.stderr, /^nats-version-monitor: cannot connect to tls:\/\/127\.0\.0\.1:\d+: /);
    t.log(refused.stderr.trim());
    // The client sees only a failed connection (a timeout); the server says why: no certificate.
    const serverLog = () => readFileSync(join(cluster.servers[0]!.dir, "server.1.log"), "utf8");
    await waitUntil("the server's reason in its log", () => (/TLS handshake error.*certificate/i.test(serverLog()) ? true : undefined), 5000).catch(() => undefined);
    t.regex(serverLog(), /TLS handshake error.*certificate/i);

    // The CLI takes the same settings from a natscli context; no service runs, so it says so.
    const home = join(tls.dir, "config");
    const ctxDir = join(home, "nats", "context");
    (await import("node:fs")).mkdirSync(ctxDir, { recursive: true });
    writeFileSync(join(ctxDir, "local.json"), JSON.stringify({ url: flags.server, nkey: app.seedFile, cert: tls.clientCert, key: tls.clientKey, ca: tls.ca }));
    const viaContext = await runCli(["report", "--context", "local", "--timeout", "1s"], { XDG_CONFIG_HOME: home });
    t.is(viaContext.code, 1);
    t.regex(viaContext.stderr, /no version-monitor service answered/, "connected through the context, then found no service");
  });
});

test("a token: the CLI connects with it, and a wrong one is refused with one line", async (t) => {
  const conf = join(tlsSetup().dir, "token.conf");
  writeFileSync(conf, `authorization: { token: "t0ken-s3cret" }\n`);
  await withServer(conf, async (cluster) => {
    const ok = await runCli(["report", "--server", cluster.urls[0]!, "--timeout", "1s"], { NATS_TOKEN: "t0ken-s3cret" });
    t.regex(ok.stderr, /no version-monitor service answered/, "authenticated, then found no service");
    const bad = await runCli(["report", "--server", cluster.urls[0]!, "--token", "wrong", "--timeout", "1s"]);
    t.is(bad.code, 1);
    t.regex(bad.stderr, /^nats-version-monitor: cannot connect to .*: .*(authorization|auth)/i);
    t.is(bad.stderr.trim().split("\n").length, 1);
  });
});
