import { ConfigError } from "../config/config-error.js";
import type { Flags } from "../config/connection-config.js";
import { parseInventoryFile } from "../config/inventory-file.js";
import { parseInventory, type Inventory } from "../core/inventory.js";
import { INVENTORY_KEY } from "../nats/inventory-source.js";
import { readInputFile, withBucket } from "./bucket-access.js";
import { CommandError } from "./command-error.js";
import { renderColumns } from "./report-table.js";

/** `inventory apply FILE`: validates the file (YAML or JSON, faults by line) and stores it; every instance follows. */
export async function inventoryApply(flags: Flags, file: string | undefined, print: (text: string) => void): Promise<number> {
  if (file === undefined) throw new ConfigError("inventory apply: give the inventory file (inventory apply FILE)");
  const inventory = parseInventoryFile(readInputFile(file), file);
  return withBucket(flags, async (kv, bucket) => {
    const revision = await kv.put(INVENTORY_KEY, JSON.stringify({ servers: inventory.entries })).catch((err: Error) => {
      throw new CommandError(`cannot write ${INVENTORY_KEY} in bucket ${bucket}: ${err.message} (the user must be allowed to write the bucket)`);
    });
    print(`applied an inventory of ${inventory.entries.length} entries to bucket ${bucket}, revision ${revision}; running instances use it from now on`);
    return 0;
  });
}

export function renderInventory(inv: Inventory): string {
  return renderColumns([
    ["NAME", "CLUSTER", "VERSION", "LABELS"],
    ...inv.entries.map((e) => [e.name ?? e.pattern!, e.cluster ?? "*", e.version ?? "*", Object.entries(e.labels).map(([k, v]) => `${k}=${v}`).join(" ")]),
  ]);
}

/** `inventory show`: the stored inventory, as a table or (with --json) as stored. */
export async function inventoryShow(flags: Flags, print: (text: string) => void): Promise<number> {
  return withBucket(flags, async (kv, bucket) => {
    const e = await kv.get(INVENTORY_KEY).catch((err: Error) => {
      throw new CommandError(`cannot read ${INVENTORY_KEY} in bucket ${bucket}: ${err.message}`);
    });
    if (!e || e.operation !== "PUT") {
      print(`No inventory in bucket ${bucket} (inventory apply FILE stores one).`);
      return 0;
    }
    print(flags["json"] ? e.string() : renderInventory(parseInventory(e.json())));
    return 0;
  });
}
