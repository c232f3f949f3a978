// `serve` as users run it, the built CLI in its own process, for the bench's sections.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LocalCluster } from "../src/local-cluster/local-cluster.js";
import { users } from "../test/helpers/cluster.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Services still running: killed when this process exits, however it exits. A scratch run that
 * timed out left its service running for minutes, at most of a core, after its cluster was gone.
 */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** SIGTERM, and wait for the process to be gone. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.on("close", () => resolve());
    child.kill("SIGTERM");
  });
}

/** The service on the cluster, as the monitor users; BENCH_PROFILE=DIR writes its CPU profiles there. */
export function spawnService(cluster: LocalCluster, flags: readonly string[] = [], nodeFlags: readonly string[] = []): { child: ChildProcess; stop: () => Promise<void> } {
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, ...nodeFlags, "dist/cli/main.js", "serve", "--log-level", "warn", ...flags], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      NATS_URL: cluster.urls.join(","),
      NATS_USER: users.monitor.user,
      NATS_PASSWORD: users.monitor.pass,
      NATS_SYS_USER: users.monitorSys.user,
      NATS_SYS_PASSWORD: users.monitorSys.pass,
      BENCH_HEAP_FILE: heapFile,
    },
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return { child, stop: () => stopChild(child) };
}

const heapFile = join(tmpdir(), `bench-heap-${process.pid}.json`);

/** Node flags that let `liveHeap` ask the service what its threads hold after a full collection (bench/heap-probe.mjs). */
export const heapProbeFlags = ["--expose-gc", "--import", "./bench/heap-probe.mjs"];

/**
 * The live heap of the service's main thread and of each worker, in bytes, after every thread
 * collected its garbage. Asked again while fewer than `workers` workers answered (one still starting).
 */
export async function liveHeap(child: ChildProcess, workers = 1): Promise<{ main: number; workers: number[] }> {
  for (let attempt = 1; ; attempt++) {
    rmSync(heapFile, { force: true });
    child.kill("SIGUSR2");
    let answer: { main: number; workers: number[] } | undefined;
    for (let waited = 0; !answer && waited < 30_000; waited += 50) {
      if (existsSync(heapFile)) answer = JSON.parse(readFileSync(heapFile, "utf8"));
      else await new Promise((r) => setTimeout(r, 50));
    }
    if (!answer) throw new Error("the service did not say what its heap holds within 30 s");
    if (answer.workers.length >= workers) return answer;
    if (attempt >= 5) throw new Error(`only ${answer.workers.length} of ${workers} workers said what their heap holds, 5 times`);
  }
}
