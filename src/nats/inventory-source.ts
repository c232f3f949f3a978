import type { KV, KvWatchEntry } from "@nats-io/kv";
import type { Logger } from "pino";
import { parseInventory, type Inventory } from "../core/inventory.js";
import { KeyFollower } from "./key-follower.js";

/** The bucket key the inventory is stored under (`inventory apply FILE`). */
export const INVENTORY_KEY = "inventory.current";

/** The operator's inventory, as every instance follows it in the bucket; none until one is applied. */
export class InventorySource {
  #current: Inventory | undefined;
  readonly #follower: KeyFollower;

  constructor(
    kv: KV,
    private readonly log: Logger,
    private readonly onChange: () => void,
  ) {
    this.#follower = new KeyFollower(kv, INVENTORY_KEY, log, (e) => this.#take(e));
  }

  get current(): Inventory | undefined {
    return this.#current;
  }

  start(): Promise<void> {
    return this.#follower.start();
  }

  #take(e: KvWatchEntry): void {
    if (e.operation !== "PUT") {
      this.#current = undefined;
      this.log.info("the inventory was removed");
    } else {
      try {
        this.#current = parseInventory(JSON.parse(new TextDecoder().decode(e.value)));
        this.log.info({ entries: this.#current.entries.length, revision: e.revision }, "using the inventory from the bucket");
      } catch (err) {
        this.log.warn({ key: INVENTORY_KEY, revision: e.revision, err: (err as Error).message }, "ignoring an inventory in the bucket that does not validate");
        return;
      }
    }
    this.onChange();
  }

  stop(): Promise<void> {
    return this.#follower.stop();
  }
}
