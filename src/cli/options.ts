import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError } from "../config/config-error.js";
import type { Flags } from "../config/connection-config.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

const connection = (prefix: string): Options =>
  Object.fromEntries(
    ["server", "user", "password", "token", "creds", "nkey", "tlscert", "tlskey", "tlsca", "context"].map((n) => [
      prefix + n,
      { type: "string" as const },
    ]),
  );

/** The flags each command takes; anything else is refused. */
export const commandOptions: Record<string, Options> = {
  serve: {
    ...connection(""),
    ...connection("sys-"),
    bucket: { type: "string" },
    replicas: { type: "string" },
    "poll-interval": { type: "string" },
    "offline-after": { type: "string" },
    "last-seen-flush": { type: "string" },
    "forget-after": { type: "string" },
    "max-mismatch": { type: "string" },
    "leaf-max-mismatch": { type: "string" },
    "activity-window": { type: "string" },
    "evaluate-interval": { type: "string" },
    "events-stream": { type: "string" },
    "events-max-age": { type: "string" },
    "events-max-msgs": { type: "string" },
    "events-duplicate-window": { type: "string" },
    "handover-after": { type: "string" },
    "wait-for-servers": { type: "boolean" },
    "log-level": { type: "string" },
    "metrics-listen": { type: "string" },
    "metrics-max-servers": { type: "string" },
    "metrics-max-scopes": { type: "string" },
  },
  report: {
    ...connection(""),
    json: { type: "boolean" },
    cluster: { type: "string" },
    "server-name": { type: "string" },
    page: { type: "string" },
    "page-size": { type: "string" },
    timeout: { type: "string" },
  },
  check: {
    ...connection(""),
    cluster: { type: "string" },
    "warn-after": { type: "string" },
    "critical-after": { type: "string" },
    format: { type: "string" },
    timeout: { type: "string" },
  },
  events: {
    ...connection(""),
    json: { type: "boolean" },
    scope: { type: "string" },
    cluster: { type: "string" },
    type: { type: "string" },
    limit: { type: "string" },
    page: { type: "string" },
    timeout: { type: "string" },
  },
  "upgrade status": {
    ...connection(""),
    json: { type: "boolean" },
    cluster: { type: "string" },
    timeout: { type: "string" },
  },
  "upgrade wait": {
    ...connection(""),
    cluster: { type: "string" },
    timeout: { type: "string" },
    interval: { type: "string" },
  },
  "inventory apply": {
    ...connection(""),
    bucket: { type: "string" },
  },
  "inventory show": {
    ...connection(""),
    bucket: { type: "string" },
    json: { type: "boolean" },
  },
  "advisories load": {
    ...connection(""),
    bucket: { type: "string" },
  },
  demo: {
    "log-level": { type: "string" },
    upgrade: { type: "boolean" },
  },
};

/** Parses a command's flags strictly; a bad flag is a ConfigError with one clear line. */
export function parseCommandFlags(command: string, args: string[]): Flags {
  const options = commandOptions[command];
  if (!options) {
    if (command.startsWith("upgrade")) throw new ConfigError(`${command}: use "upgrade status" or "upgrade wait"`);
    if (command.startsWith("advisories")) throw new ConfigError(`${command}: use "advisories load FILE"`);
    if (command.startsWith("inventory")) throw new ConfigError(`${command}: use "inventory apply FILE" or "inventory show"`);
    throw new ConfigError(`unknown command ${JSON.stringify(command)}: use serve, report, check, events, upgrade or demo`);
  }
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new ConfigError(`${command}: unexpected argument ${JSON.stringify(positionals[0])}`);
    return values as Flags;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // parseArgs' messages are long and mention internals; keep the first sentence.
    throw new ConfigError(`${command}: ${(err as Error).message.split(". ")[0]}`);
  }
}
