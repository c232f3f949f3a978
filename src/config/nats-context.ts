import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "./config-error.js";

/** The parts of a natscli context (`nats context save`) that say how to connect. */
export interface NatsContext {
  readonly url?: string;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly creds?: string;
  readonly nkey?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
}

const fields = ["url", "user", "password", "token", "creds", "nkey", "cert", "key", "ca"] as const;

/** natscli keeps contexts in $XDG_CONFIG_HOME/nats/context/<name>.json. */
export function contextPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env["XDG_CONFIG_HOME"] || join(env["HOME"] ?? homedir(), ".config");
  return join(base, "nats", "context", `${name}.json`);
}

export function loadNatsContext(name: string, env: NodeJS.ProcessEnv = process.env): NatsContext {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith(".")) {
    throw new ConfigError(`context: ${JSON.stringify(name)} is not a context name`);
  }
  const path = contextPath(name, env);
  if (!existsSync(path)) throw new ConfigError(`context ${JSON.stringify(name)}: ${path} does not exist`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new ConfigError(`context ${JSON.stringify(name)}: ${path} is not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null) throw new ConfigError(`context ${JSON.stringify(name)}: ${path} is not an object`);
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = (parsed as Record<string, unknown>)[f];
    if (typeof v === "string" && v !== "") out[f] = v;
  }
  return out;
}
