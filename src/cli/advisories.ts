import { ConfigError } from "../config/config-error.js";
import type { Flags } from "../config/connection-config.js";
import { DatasetError, parseAdvisoryDataset, type AdvisoryDataset } from "../core/advisory.js";
import { ADVISORIES_KEY } from "../nats/advisory-source.js";
import { readInputFile, withBucket } from "./bucket-access.js";
import { CommandError } from "./command-error.js";

/** A dataset file, validated; a fault is a ConfigError naming the file. */
function readDataset(file: string): AdvisoryDataset {
  try {
    return parseAdvisoryDataset(JSON.parse(readInputFile(file)));
  } catch (err) {
    if (err instanceof DatasetError || err instanceof SyntaxError) throw new ConfigError(`${file}: ${err.message}`);
    throw err;
  }
}

/**
 * `advisories load FILE`: validates a dataset (the shape of src/data/advisories.json) and writes it
 * to the bucket, where every running instance picks it up. Needs a user that may write the bucket.
 */
export async function advisoriesLoad(flags: Flags, file: string | undefined, print: (text: string) => void): Promise<number> {
  if (file === undefined) throw new ConfigError("advisories load: give the dataset file (advisories load FILE)");
  const loaded = readDataset(file);
  return withBucket(flags, async (kv, bucket) => {
    const revision = await kv.put(ADVISORIES_KEY, JSON.stringify(loaded)).catch((err: Error) => {
      throw new CommandError(`cannot write ${ADVISORIES_KEY} in bucket ${bucket}: ${err.message} (the user must be allowed to write the bucket)`);
    });
    print(`loaded ${loaded.advisories.length} advisories as of ${loaded.as_of} (${loaded.source}) into bucket ${bucket}, revision ${revision}; running instances use it from now on`);
    return 0;
  });
}
