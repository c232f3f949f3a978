import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Writable } from "node:stream";
import type { Logger } from "pino";
import type { Flags } from "../../src/config/connection-config.js";
import { resolveMonitorConfig, type MonitorConfig } from "../../src/config/monitor-config.js";
import { LocalCluster, type ClusterSpec } from "../../src/local-cluster/local-cluster.js";
import { installedServerBinaries, type ServerBinary } from "../../src/local-cluster/server-binaries.js";
import { createLogger } from "../../src/logger.js";
import { VersionMonitor } from "../../src/monitor.js";
import { INBOX_PREFIX } from "../../src/nats/connect.js";
import type { VersionReport } from "../../src/core/version-report.js";

export { waitUntil } from "../../src/local-cluster/wait-until.js";

/** Users from nats-conf/accounts.conf. */
export const users = {
  sys: { user: "sys", pass: "sys-secret" },
  monitorSys: { user: "monitor-sys", pass: "monitor-sys-secret" },
  monitor: { user: "monitor", pass: "monitor-secret" },
  app: { user: "app", pass: "app-secret" },
  /** Everything in the application account: step-downs, foreign streams, the bench's floor endpoint. */
  admin: { user: "admin", pass: "admin-secret" },
} as const;

const live = new Set<LocalCluster>();
// Whatever happens to a test (timeout, crash), no nats-server outlives the test process.
process.once("exit", () => {
  for (const c of live) c.kill();
});
// Nor when the process is stopped by a signal, which skips "exit": a bench stopped that way left a
// server that had stopped answering (and ignored SIGTERM) using a core for a quarter of an hour.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    for (const c of live) c.kill();
    process.kill(process.pid, signal);
  });
}

/** Installed nats-server versions, oldest first; at least three distinct ones are required. */
export function threeVersions(): [ServerBinary, ServerBinary, ServerBinary] {
  const all = installedServerBinaries();
  if (all.length < 3) throw new Error(`need three nats-server versions, found ${all.map((b) => b.version).join(", ")}`);
  return [all[0]!, all[Math.floor(all.length / 2)]!, all.at(-1)!];
}

/**
 * The cluster makes its own directory and removes it when it stops, fails to start or is killed:
 * given one, it left it behind (and a failed first attempt beside the retry), and a full test run
 * left gigabytes of JetStream stores in the temporary directory, until a full disk failed
 * JetStream writes in every later run.
 */
export async function startCluster(specs: ClusterSpec[], namePrefix = "", accountsConf?: string): Promise<LocalCluster> {
  const cluster = await LocalCluster.start(specs, { namePrefix, ...(accountsConf !== undefined ? { accountsConf } : {}) });
  live.add(cluster);
  return cluster;
}

export async function stopCluster(cluster: LocalCluster | undefined): Promise<void> {
  if (!cluster) return;
  await cluster.stop();
  live.delete(cluster);
}

/** The service's configuration against a test cluster, with its least-privileged users. */
export function monitorConfig(cluster: LocalCluster, flags: Flags = {}): MonitorConfig {
  return resolveMonitorConfig(
    {
      server: cluster.urls.join(","),
      user: users.monitor.user,
      password: users.monitor.pass,
      "sys-user": users.monitorSys.user,
      "sys-password": users.monitorSys.pass,
      ...flags,
    },
    {},
  );
}

/** A pino logger whose JSON lines the test can read back. */
export function captureLogger(level = "debug"): { log: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const text = () => chunks.join("");
  return {
    log: createLogger(level, stream),
    text,
    lines: () =>
      text()
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export async function startMonitor(cluster: LocalCluster, flags: Flags = {}, now?: () => number): Promise<VersionMonitor> {
  const log = process.env["TEST_LOG"] ? createLogger(process.env["TEST_LOG"], process.stderr) : captureLogger("warn").log;
  return VersionMonitor.start({ config: monitorConfig(cluster, flags), log, ...(now ? { now } : {}) });
}

/** Asks `versions.report` on the wire; a micro error becomes a thrown Error with the service's message. */
export async function requestReport(nc: NatsConnection, body = ""): Promise<VersionReport> {
  const msg = await nc.request("versions.report", body, { timeout: 5000 });
  if (msg.headers?.get("Nats-Service-Error")) throw new Error(msg.headers.get("Nats-Service-Error"));
  return msg.json<VersionReport>();
}

/** `only`: the names of the servers it may connect to (default: any of the cluster's). */
export function connectAs(cluster: LocalCluster, who: { user: string; pass: string }, only?: readonly string[]): Promise<NatsConnection> {
  // The monitor's own users may only subscribe to inboxes under the monitor's prefix.
  const inbox = who.user.startsWith("monitor") ? { inboxPrefix: INBOX_PREFIX } : {};
  const servers = only ? only.map((n) => cluster.server(n).clientUrl) : cluster.urls;
  return connect({ servers, user: who.user, pass: who.pass, maxReconnectAttempts: -1, reconnectTimeWait: 100, ...inbox });
}
