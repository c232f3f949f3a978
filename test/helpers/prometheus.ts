import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../src/local-cluster/free-port.js";
import { GiveUp, waitUntil } from "../../src/local-cluster/wait-until.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Where scripts/install-prometheus.sh puts Debian's prometheus and promtool. */
export function prometheusBinary(name: "prometheus" | "promtool"): string {
  const path = join(process.env["PROMETHEUS_DIR"] ?? join(root, ".prometheus"), name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run "bash scripts/install-prometheus.sh" (npm test's pretest does)`);
  return path;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end, with its output. */
export function run(command: string, args: readonly string[], stdin?: string): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: root, stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += String(d)));
    child.stderr!.on("data", (d) => (stderr += String(d)));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

/** One element of an instant vector from /api/v1/query. */
export interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

const live = new Set<ChildProcess>();
// Whatever happens to a test (timeout, crash), no Prometheus outlives the test process.
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

/**
 * A real Prometheus on a free 127.0.0.1 port, scraping the given targets every second, with its
 * storage in a temporary directory that `stop()` removes.
 */
export class LocalPrometheus {
  #stderr = "";

  private constructor(
    private readonly process: ChildProcess,
    readonly url: string,
    private readonly dir: string,
  ) {
    process.stderr!.on("data", (d) => (this.#stderr += String(d)));
  }

  static async start(opts: { readonly job: string; readonly targets: readonly string[]; readonly ruleFiles?: readonly string[] }): Promise<LocalPrometheus> {
    const dir = mkdtempSync(join(tmpdir(), "nvm-prometheus-"));
    const config = join(dir, "prometheus.yml");
    // JSON is YAML: no YAML writer needed for a generated configuration.
    writeFileSync(
      config,
      JSON.stringify({
        global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
        ...(opts.ruleFiles ? { rule_files: opts.ruleFiles.map((f) => resolve(root, f)) } : {}),
        scrape_configs: [{ job_name: opts.job, static_configs: [{ targets: opts.targets }] }],
      }),
    );
    const port = await freePort();
    const child = spawn(
      prometheusBinary("prometheus"),
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    live.add(child);
    const prometheus = new LocalPrometheus(child, `http://127.0.0.1:${port}`, dir);
    try {
      await waitUntil("Prometheus ready", async () => {
        if (child.exitCode !== null) throw new GiveUp(`prometheus exited with ${child.exitCode}: ${prometheus.#stderr.trim()}`);
        const res = await fetch(`${prometheus.url}/-/ready`);
        return res.ok ? true : undefined;
      });
    } catch (err) {
      await prometheus.stop();
      throw err;
    }
    return prometheus;
  }

  /** An instant query through the HTTP API (/api/v1/query). */
  async query(promql: string): Promise<VectorSample[]> {
    const res = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== "success" || body.data?.resultType !== "vector") throw new Error(`query ${promql}: ${body.error ?? JSON.stringify(body)}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** GET of an API path, parsed (/api/v1/rules, /api/v1/targets). */
  async api<T>(path: string): Promise<T> {
    const body = (await (await fetch(`${this.url}${path}`)).json()) as { status: string; data: T };
    if (body.status !== "success") throw new Error(`${path}: ${JSON.stringify(body)}`);
    return body.data;
  }

  get stderr(): string {
    return this.#stderr;
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = new Promise((r) => this.process.once("exit", r));
      this.process.kill("SIGTERM");
      const timer = setTimeout(() => this.process.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(this.process);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
