import { join } from "node:path";
import pino from "pino";
import { resolveMonitorConfig } from "../config/monitor-config.js";
import { LocalCluster } from "../local-cluster/local-cluster.js";
import { installedServerBinaries, type ServerBinary } from "../local-cluster/server-binaries.js";
import { waitUntil } from "../local-cluster/wait-until.js";
import { createLogger } from "../logger.js";
import { VersionMonitor } from "../monitor.js";
import { CommandError } from "./command-error.js";
import { renderReportTable } from "./report-table.js";
import { demoUpgrade } from "./demo-upgrade.js";

/** Oldest, a middle one and newest: three different versions when three are installed. */
export function pickDemoBinaries(all: readonly ServerBinary[]): ServerBinary[] {
  if (all.length < 2) throw new CommandError(`the demo needs at least two nats-server versions; found ${all.length} (run "npm run install-servers")`);
  if (all.length === 2) return [all[0]!, all[0]!, all[1]!];
  return [all[0]!, all[Math.floor(all.length / 2)]!, all[all.length - 1]!];
}

/**
 * The main job on an embedded default: a local three-server cluster of different nats-server
 * versions, the service against it, and the report, re-printed whenever it changes, until Ctrl-C.
 * With --upgrade, the cluster is then upgraded to the newest version, each step gated by upgrade wait.
 */
export async function demo(flags: Readonly<Record<string, unknown>>, print: (text: string) => void): Promise<number> {
  const binaries = pickDemoBinaries(installedServerBinaries());
  print(`starting a local cluster: ${binaries.map((b) => b.version).join(", ")} ...`);
  const cluster = await LocalCluster.start([{ name: "demo", binaries: binaries.map((b) => b.path) }]);
  let monitor: VersionMonitor | undefined;
  try {
    const urls = cluster.urls.join(",");
    const config = resolveMonitorConfig(
      { server: urls, user: "monitor", password: "monitor-secret", "sys-user": "monitor-sys", "sys-password": "monitor-sys-secret", "poll-interval": "10s" },
      {},
    );
    const logFile = join(cluster.dir, "monitor.log");
    const level = typeof flags["log-level"] === "string" ? flags["log-level"] : "info";
    monitor = await VersionMonitor.start({ config, log: createLogger(level, pino.destination({ dest: logFile, sync: false })) });
    const m = monitor;
    await waitUntil("all three servers in the report", () => (m.report().server_count >= binaries.length ? true : undefined), 15_000);
    print(
      [
        "",
        `cluster: ${urls}   (servers in ${cluster.dir}, service log ${logFile})`,
        "try, with the nats CLI:",
        `  nats --server ${cluster.urls[0]} --user app --password app-secret req versions.report ''`,
        `  nats --server ${cluster.urls[0]} --user app --password app-secret micro info version-monitor`,
        `  nats-version-monitor report --server ${cluster.urls[0]} --user app --password app-secret`,
        "Ctrl-C stops the service and the cluster.",
        "",
      ].join("\n"),
    );
    let shown = "";
    const render = () => {
      const r = m.report();
      // Times and ages tick every second; re-print only when the picture itself changed.
      const key = JSON.stringify([
        r.state,
        r.target,
        r.groups,
        r.outliers.map((o) => [o.name, o.cause]),
        r.servers.map((s) => [s.name, s.version, s.state]),
        r.offline.map((o) => o.name),
        r.warnings,
      ]);
      if (key !== shown) {
        const table = renderReportTable(r);
        shown = key;
        print(`--- ${r.generated_at} ---\n${table}\n`);
      }
    };
    render();
    const timer = setInterval(render, 1000);
    // Listening for Ctrl-C from here on: it may come while the upgrade runs, or right after it.
    const stopped = new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    if (flags["upgrade"] === true) await Promise.race([demoUpgrade(cluster, installedServerBinaries().at(-1)!, print), stopped]);
    await stopped;
    clearInterval(timer);
    print("stopping ...");
    return 0;
  } finally {
    await monitor?.stop();
    await cluster.stop();
  }
}
