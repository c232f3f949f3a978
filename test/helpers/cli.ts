import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const entry = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns the CLI (from source, through tsx) with a clean NATS environment. */
export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess & { output: () => CliResult; done: Promise<CliResult> } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("NATS_")));
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], { cwd: root, env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += String(d)));
  child.stderr!.on("data", (d) => (stderr += String(d)));
  const output = () => ({ code: child.exitCode, stdout, stderr });
  const done = new Promise<CliResult>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return Object.assign(child, { output, done });
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return spawnCli(args, env).done;
}
