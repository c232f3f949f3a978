import { isMap, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { InventoryError, parseInventory, type Inventory } from "../core/inventory.js";
import { ConfigError } from "./config-error.js";

/**
 * Reads an inventory file, YAML or JSON (JSON is YAML), into a validated Inventory. Every fault is
 * one line naming the file and the line: `inventory.yaml:7: servers[1]: "version" ... is not ...`.
 */
export function parseInventoryFile(text: string, file: string): Inventory {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  const syntax = doc.errors[0];
  if (syntax) throw new ConfigError(`${file}:${lineOf(syntax.pos[0])}: ${syntax.message.split("\n")[0]}`);
  try {
    return parseInventory(doc.toJS());
  } catch (err) {
    if (!(err instanceof InventoryError)) throw err;
    const servers = isMap(doc.contents) ? doc.contents.get("servers", true) : undefined;
    const entry = err.at !== undefined && isSeq(servers) ? (servers.items[err.at] as Node | undefined) : undefined;
    const at = entry?.range?.[0] ?? (doc.contents as Node | null)?.range?.[0];
    throw new ConfigError(`${file}:${lineOf(at)}: ${err.at !== undefined ? `servers[${err.at}]: ` : ""}${err.message}`);
  }
}
