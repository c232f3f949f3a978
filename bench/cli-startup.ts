// Section 7 of `npm run bench` (`npm run bench -- cli` alone): how long the built CLI takes, whole
// process, against `node -e ''` on the same machine. Issue 13's goal: every command that only asks
// the service (report, check, upgrade status, events) within 1.5x of `node -e ''`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { installedServerBinaries } from "../src/local-cluster/server-binaries.js";
import { startCluster, stopCluster, users, waitUntil } from "../test/helpers/cluster.js";
import { spawnService } from "./service-process.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const RUNS = 15;
const GOAL = 1.5;

interface Command {
  readonly name: string;
  readonly args: readonly string[];
  /** Counted against the goal: it only asks the service. */
  readonly asks: boolean;
}

/** The environment without NATS_* settings: a NATS_CREDS of the shell would send the commands through nats.js. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("NATS_")));

/** One whole process, spawned and waited for; its wall time in ms. A failed run stops the bench. */
function timeRun(c: Command): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, c.args, { cwd: root, stdio: ["ignore", "ignore", "pipe"], env: cleanEnv });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${String(r.stderr).trim()}`);
  return ms;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Prints the section: median wall time of RUNS runs of each command, the runs interleaved (one of
 * each in turn, so that a burst of load on this shared machine hits every command alike), and
 * each command's ratio to `node -e ''`. The service is `serve` in its own process on one local
 * nats-server, so the measuring process sits idle while a command runs.
 */
export async function benchCliStartup(say: (line?: string) => void = (line = "") => void process.stderr.write(line + "\n")): Promise<void> {
  if (!existsSync(new URL("../dist/cli/main.js", import.meta.url))) throw new Error("dist/cli/main.js is missing: npm run build first");
  const newest = installedServerBinaries().at(-1)!;
  const cluster = await startCluster([{ name: "cli", binaries: [newest.path] }], "bench-");
  const service = spawnService(cluster);
  try {
    const app = ["--server", cluster.urls[0]!, "--user", users.app.user, "--password", users.app.pass];
    const cli = (...args: string[]) => ["dist/cli/main.js", ...args];
    const commands: Command[] = [
      { name: "node -e ''", args: ["-e", ""], asks: false },
      { name: "nats-version-monitor --help", args: cli("--help"), asks: false },
      { name: "nats-version-monitor report", args: cli("report", ...app), asks: true },
      { name: "nats-version-monitor check", args: cli("check", ...app), asks: true },
      { name: "nats-version-monitor upgrade status", args: cli("upgrade", "status", ...app), asks: true },
      { name: "nats-version-monitor events", args: cli("events", ...app), asks: true },
      // For comparison: loading the NATS client alone, which the commands above do not.
      { name: "node: import('@nats-io/transport-node')", args: ["--input-type=module", "-e", "await import('@nats-io/transport-node')"], asks: false },
    ];
    await waitUntil("the service's report of the server", () => {
      const r = spawnSync(process.execPath, cli("check", ...app), { cwd: root, encoding: "utf8", env: cleanEnv });
      return r.status === 0 && r.stdout.startsWith("OK VERSIONS OK:1 server(s)") ? true : undefined;
    }, 30_000, 200);
    const load = loadavg()[0]!;
    for (const c of commands) timeRun(c); // warm: the file system cache, the service's first rendering of each query
    const times = commands.map(() => [] as number[]);
    for (let i = 0; i < RUNS; i++) commands.forEach((c, k) => times[k]!.push(timeRun(c)));
    const base = median(times[0]!);
    const ratios = commands.map((_, k) => median(times[k]!) / base);

    say("## 7. CLI start-up");
    say();
    say(`Whole processes, from spawn to exit, as a shell or a monitoring system runs them: the median of ${RUNS} runs of each command,`);
    say("the runs interleaved (one of each in turn). The commands that ask the service connect to one local nats-server");
    say(`(${newest.version}, 127.0.0.1) with a user and password, send their request and print the answer; the service is`);
    say("`node dist/cli/main.js serve` in its own process. Issue 13's goal: each of them within 1.5x of `node -e ''`.");
    say(`Machine: ${cpus()[0]?.model ?? "cpu"}, ${cpus().length} cores, Node ${process.version}, load average ${load.toFixed(2)} when the runs began.`);
    say();
    say("| command | median ms | fastest ms | ratio to `node -e ''` |");
    say("| --- | --- | --- | --- |");
    commands.forEach((c, k) => say(`| \`${c.name}\` | ${median(times[k]!).toFixed(1)} | ${Math.min(...times[k]!).toFixed(1)} | ${ratios[k]!.toFixed(2)} |`));
    say();
    const asking = commands.map((c, k) => ({ c, ratio: ratios[k]! })).filter((x) => x.c.asks);
    const worst = asking.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    say(
      `Goal ${worst.ratio <= GOAL ? "met" : "missed"}: the slowest command that asks the service, \`${worst.c.name}\`, takes ${worst.ratio.toFixed(2)}x \`node -e ''\` (goal ${GOAL}x).`,
    );
    say("They ask over a plain connection without loading nats.js (`src/cli/quick-request.ts`); the last row is what loading it");
    say("alone costs. TLS, creds and nkeys go through nats.js, and are not measured here; nor are a remote server's round trips");
    say("(two: the connection, then the request) or a cold file system cache.");
    say();
  } finally {
    await service.stop();
    await stopCluster(cluster);
  }
}
