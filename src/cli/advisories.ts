import { readFileSync } from "node:fs";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { ConfigError } from "../config/config-error.js";
import { resolveConnection, type Flags } from "../config/connection-config.js";
import { DatasetError, parseAdvisoryDataset } from "../core/advisory.js";
import { ADVISORIES_KEY } from "../nats/advisory-source.js";
import { connectionOptions } from "../nats/connect.js";
import { CommandError } from "./report.js";

/**
 * `advisories load FILE`: validates a dataset (the shape of src/data/advisories.json) and writes it
 * to the bucket, where every running instance picks it up. Needs a user that may write the bucket.
 */
export async function advisoriesLoad(flags: Flags, file: string | undefined, print: (text: string) => void): Promise<number> {
  if (file === undefined) throw new ConfigError("advisories load: give the dataset file (advisories load FILE)");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read it: ${(err as Error).message}`);
  }
  let dataset;
  try {
    dataset = parseAdvisoryDataset(JSON.parse(text));
  } catch (err) {
    if (err instanceof DatasetError || err instanceof SyntaxError) throw new ConfigError(`${file}: ${err.message}`);
    throw err;
  }
  const bucket = typeof flags["bucket"] === "string" ? flags["bucket"] : "version-monitor";
  const conn = resolveConnection("", flags, process.env);
  const nc = await connect({ ...connectionOptions(conn, "version-monitor-cli"), maxReconnectAttempts: 0 }).catch((err: Error) => {
    throw new CommandError(`cannot connect to ${conn.servers.join(",")}: ${err.message}`);
  });
  try {
    const kv = await new Kvm(nc).open(bucket);
    const revision = await kv.put(ADVISORIES_KEY, JSON.stringify(dataset)).catch((err: Error) => {
      throw new CommandError(`cannot write ${ADVISORIES_KEY} in bucket ${bucket}: ${err.message} (the user must be allowed to write the bucket)`);
    });
    print(`loaded ${dataset.advisories.length} advisories as of ${dataset.as_of} (${dataset.source}) into bucket ${bucket}, revision ${revision}; running instances use it from now on`);
    return 0;
  } finally {
    await nc.close();
  }
}
