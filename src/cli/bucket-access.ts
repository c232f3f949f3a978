import { readFileSync } from "node:fs";
import { Kvm, type KV } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { ConfigError } from "../config/config-error.js";
import { resolveConnection, type Flags } from "../config/connection-config.js";
import { connectionOptions } from "../nats/connect.js";
import { CommandError } from "./command-error.js";

/** An operator's input file (inventory, dataset), or a ConfigError naming it. */
export function readInputFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read it: ${(err as Error).message}`);
  }
}

/** Connects once, opens the bucket (`--bucket`, default version-monitor), lets `use` work on it, closes. */
export async function withBucket<T>(flags: Flags, use: (kv: KV, bucket: string) => Promise<T>): Promise<T> {
  const bucket = typeof flags["bucket"] === "string" ? flags["bucket"] : "version-monitor";
  const conn = resolveConnection("", flags, process.env);
  const nc = await connect({ ...connectionOptions(conn, "version-monitor-cli"), maxReconnectAttempts: 0 }).catch((err: Error) => {
    throw new CommandError(`cannot connect to ${conn.servers.join(",")}: ${err.message}`);
  });
  try {
    const kv = await new Kvm(nc).open(bucket);
    return await use(kv, bucket);
  } finally {
    await nc.close();
  }
}
