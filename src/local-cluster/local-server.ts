import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderServerConfig, type LocalServerConfig } from "./server-config.js";
import { GiveUp, waitUntil } from "./wait-until.js";

/**
 * One real nats-server process on 127.0.0.1, with the ports it keeps across restarts, so that a
 * restart on another binary (an upgrade) rejoins the same routes and client URLs.
 */
export class LocalServer {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  /** Resolves once everything the process wrote is in its log file. */
  #logged: Promise<void> = Promise.resolve();
  #binary: string;
  #starts = 0;

  constructor(
    readonly config: LocalServerConfig,
    binary: string,
    readonly dir: string,
    readonly accountsConf: string,
  ) {
    this.#binary = binary;
  }

  get name(): string {
    return this.config.name;
  }
  get binary(): string {
    return this.#binary;
  }
  get pid(): number | undefined {
    return this.#child?.pid;
  }
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }
  get clientUrl(): string {
    return `nats://127.0.0.1:${this.config.clientPort}`;
  }
  get httpUrl(): string {
    return `http://127.0.0.1:${this.config.httpPort}`;
  }

  /** Starts the process (optionally on another binary) and waits until it answers /healthz. */
  async start(binary?: string): Promise<void> {
    this.spawn(binary);
    await this.#healthy();
  }

  /**
   * Starts the process and returns at once: /healthz is the server's full check (JetStream current
   * included), so tests of what happens before a server is healthy cannot wait for it.
   */
  spawn(binary?: string): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    if (binary) this.#binary = binary;
    mkdirSync(this.dir, { recursive: true });
    const confPath = join(this.dir, "server.conf");
    writeFileSync(confPath, renderServerConfig(this.config));
    copyFileSync(this.accountsConf, join(this.dir, "accounts.conf"));
    const log = createWriteStream(join(this.dir, `server.${++this.#starts}.log`));
    const child = spawn(this.#binary, ["-c", confPath], { stdio: ["ignore", "pipe", "pipe"] });
    // Two sources into one file: neither may end it (pipe's default), or what the other still has
    // to write is lost; it ends when the process's output has closed.
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once("close", () => log.end());
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    // Its output reaches the file after the exit: read too soon, the log of a server that failed
    // at start was empty, and why it failed (a port taken meanwhile, say) was lost with it.
    this.#logged = new Promise((resolve) => {
      log.once("finish", () => resolve());
      log.once("error", () => resolve());
    });
  }

  async #healthy(): Promise<void> {
    // A server recovering JetStream on a loaded machine can take a while; a time-out names its last log line.
    await waitUntil(
      `${this.name} /healthz`,
      async () => {
        if (!this.running) {
          await Promise.race([this.#logged, new Promise((resolve) => setTimeout(resolve, 2000))]);
          const code = this.#child?.exitCode ?? this.#child?.signalCode;
          throw new GiveUp(`${this.name} exited (${code}): ${this.#lastLogLine()} (see ${this.dir})`);
        }
        // Bounded: should another process hold the port (taken between picking and binding), one that
        // accepts and never answers HTTP would otherwise hold this wait, and the test, for ever.
        const res = await fetch(`${this.httpUrl}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => {
          throw new Error(`not listening yet; last log line: ${this.#lastLogLine()}`);
        });
        return res.ok ? true : undefined;
      },
      60_000,
    );
  }

  #lastLogLine(): string {
    try {
      const lines = readFileSync(join(this.dir, `server.${this.#starts}.log`), "utf8").trim().split("\n");
      return lines.at(-1)?.replace(/^\[\d+\] \S+ \S+ /, "") ?? "";
    } catch {
      return "";
    }
  }

  /** Monitoring JSON from this server (/varz, /jsz, /routez, ...). */
  async monitor<T = Record<string, unknown>>(path: string): Promise<T> {
    const res = await fetch(`${this.httpUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${this.name} ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }

  /** Sends a signal and waits for the process to exit; SIGKILL after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /**
   * Lame duck mode, as `nats-server --signal ldm=<pid>` sends it (SIGUSR2): the server stops
   * accepting clients, hands them over, and exits. Resolves when the process has exited.
   */
  async lameDuck(timeoutMs = 40_000): Promise<void> {
    await this.stop("SIGUSR2", timeoutMs);
  }

  /**
   * Replaces the accounts file next to this server's configuration and reloads it (SIGHUP, as
   * `nats-server --signal reload` does); resolves once the server logged the reload.
   */
  async reloadAccounts(text: string): Promise<void> {
    if (!this.running) throw new Error(`${this.name} is not running`);
    const logPath = join(this.dir, `server.${this.#starts}.log`);
    const reloads = () => (readFileSync(logPath, "utf8").match(/Reloaded server configuration/g) ?? []).length;
    const before = reloads();
    writeFileSync(join(this.dir, "accounts.conf"), text);
    this.#child!.kill("SIGHUP");
    await waitUntil(`${this.name} to reload its configuration`, () => (reloads() > before ? true : undefined), 10_000);
  }

  /** Kills without ceremony; for cleanup after failures. */
  kill(): void {
    if (this.running) this.#child?.kill("SIGKILL");
  }
}
