import { accessSync, constants } from "node:fs";
import { ConfigError } from "./config-error.js";
import { loadNatsContext, type NatsContext } from "./nats-context.js";

/** How to reach one account: the usual NATS options, as natscli takes them. */
export interface ConnectionConfig {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly credsFile?: string;
  readonly nkeySeedFile?: string;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
}

/** Flag values by name, as util.parseArgs returns them. */
export type Flags = Readonly<Record<string, string | boolean | undefined>>;

export const DEFAULT_URL = "nats://127.0.0.1:4222";

const setting = ["url", "user", "password", "token", "creds", "nkey", "cert", "key", "ca"] as const;
type Setting = (typeof setting)[number];

/** The flag and environment variable for each setting; `sys` ones carry a prefix. */
const flagName: Record<Setting, string> = {
  url: "server",
  user: "user",
  password: "password",
  token: "token",
  creds: "creds",
  nkey: "nkey",
  cert: "tlscert",
  key: "tlskey",
  ca: "tlsca",
};
const envName: Record<Setting, string> = {
  url: "URL",
  user: "USER",
  password: "PASSWORD",
  token: "TOKEN",
  creds: "CREDS",
  nkey: "NKEY",
  cert: "CERT",
  key: "KEY",
  ca: "CA",
};

function readable(path: string, what: string): string {
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new ConfigError(`${what}: cannot read ${path}`);
  }
  return path;
}

function parseServers(list: string, what: string): string[] {
  const urls = list.split(",").map((u) => u.trim()).filter((u) => u !== "");
  if (urls.length === 0) throw new ConfigError(`${what}: no server URL given`);
  for (const u of urls) {
    const withScheme = u.includes("://") ? u : `nats://${u}`;
    let parsed: URL;
    try {
      parsed = new URL(withScheme);
    } catch {
      throw new ConfigError(`${what}: ${JSON.stringify(u)} is not a server URL`);
    }
    if (!["nats:", "tls:"].includes(parsed.protocol) || parsed.hostname === "") {
      throw new ConfigError(`${what}: ${JSON.stringify(u)} must be nats://host:port or tls://host:port`);
    }
  }
  return urls;
}

/**
 * Resolves one connection's settings from flags, then the environment, then a natscli context.
 * `prefix` is "" for the application account and "sys" for the system account, whose flags are
 * `--sys-user`, ... and whose variables are `NATS_SYS_USER`, ...
 * `fallback` supplies servers and TLS (never credentials) that the system connection shares with
 * the application one unless given its own.
 */
export function resolveConnection(
  prefix: "" | "sys",
  flags: Flags,
  env: NodeJS.ProcessEnv,
  fallback?: ConnectionConfig,
): ConnectionConfig {
  const flag = (s: Setting | "context") => {
    const name = prefix ? `${prefix}-${s === "context" ? "context" : flagName[s]}` : s === "context" ? "context" : flagName[s];
    const v = flags[name];
    return typeof v === "string" && v !== "" ? { name: `--${name}`, value: v } : undefined;
  };
  const envVar = (s: Setting | "context") => {
    const name = `NATS_${prefix ? prefix.toUpperCase() + "_" : ""}${s === "context" ? "CONTEXT" : envName[s]}`;
    const v = env[name];
    return v !== undefined && v !== "" ? { name, value: v } : undefined;
  };
  const ctxSource = flag("context") ?? envVar("context");
  const ctx: NatsContext = ctxSource ? loadNatsContext(ctxSource.value, env) : {};
  const pick = (s: Setting) =>
    flag(s) ?? envVar(s) ?? (ctx[s] !== undefined ? { name: `context ${ctxSource!.value}`, value: ctx[s]! } : undefined);

  const url = pick("url");
  const servers = url ? parseServers(url.value, url.name) : fallback ? [...fallback.servers] : [DEFAULT_URL];
  const user = pick("user");
  const password = pick("password");
  const token = pick("token");
  const creds = pick("creds");
  const nkey = pick("nkey");
  const methods = [user, token, creds, nkey].filter((x) => x !== undefined);
  if (methods.length > 1) {
    throw new ConfigError(`${methods.map((m) => m!.name).join(" and ")}: give one way to authenticate, not several`);
  }
  if (password && !user) throw new ConfigError(`${password.name} is set without a user`);
  if (user && !password) throw new ConfigError(`${user.name} is set without a password`);

  const cert = pick("cert");
  const key = pick("key");
  const ca = pick("ca");
  if ((cert && !key) || (key && !cert)) throw new ConfigError("a TLS client certificate and its key go together");
  const tls =
    cert || key || ca
      ? {
          ...(ca ? { caFile: readable(ca.value, ca.name) } : {}),
          ...(cert ? { certFile: readable(cert.value, cert.name) } : {}),
          ...(key ? { keyFile: readable(key.value, key.name) } : {}),
        }
      : fallback?.tls;

  return {
    servers,
    ...(user ? { user: user.value, password: password!.value } : {}),
    ...(token ? { token: token.value } : {}),
    ...(creds ? { credsFile: readable(creds.value, creds.name) } : {}),
    ...(nkey ? { nkeySeedFile: readable(nkey.value, nkey.name) } : {}),
    ...(tls ? { tls } : {}),
  };
}

/** For logs: where and how it connects, never the secrets. */
export function describeConnection(c: ConnectionConfig): Record<string, unknown> {
  const auth = c.credsFile ? "creds" : c.nkeySeedFile ? "nkey" : c.token ? "token" : c.user ? `user ${c.user}` : "none";
  return { servers: c.servers, auth, tls: c.tls !== undefined };
}
