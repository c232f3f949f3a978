// `serve` as users run it, the built CLI in its own process, for the bench's sections.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LocalCluster } from "../src/local-cluster/local-cluster.js";
import { users } from "../test/helpers/cluster.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** SIGTERM, and wait for the process to be gone. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.on("close", () => resolve());
    child.kill("SIGTERM");
  });
}

/** The service on the cluster, as the monitor users; BENCH_PROFILE=DIR writes its CPU profiles there. */
export function spawnService(cluster: LocalCluster, flags: readonly string[] = []): { child: ChildProcess; stop: () => Promise<void> } {
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, "dist/cli/main.js", "serve", "--log-level", "warn", ...flags], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      NATS_URL: cluster.urls.join(","),
      NATS_USER: users.monitor.user,
      NATS_PASSWORD: users.monitor.pass,
      NATS_SYS_USER: users.monitorSys.user,
      NATS_SYS_PASSWORD: users.monitorSys.pass,
    },
  });
  return { child, stop: () => stopChild(child) };
}
