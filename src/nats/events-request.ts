import { MismatchEventType } from "../core/mismatch-transition.js";
import type { HistoryQuery } from "./event-stream.js";
import { name, positive, RequestError, requestObject } from "./report-request.js";

export const DEFAULT_EVENTS_LIMIT = 50;
export const MAX_EVENTS_LIMIT = 1000;
const fields = ["scope", "cluster", "type", "limit", "page"] as const;
const types: readonly string[] = Object.values(MismatchEventType);

/** Parses a `versions.events` request body: `{"scope"?, "cluster"?, "type"?, "limit"?, "page"?}`. */
export function parseEventsRequest(data: Uint8Array): HistoryQuery {
  const o = requestObject(data, fields);
  const scope = o["scope"] === undefined ? undefined : name(o["scope"], "scope");
  if (scope !== undefined && scope !== "system" && !scope.startsWith("cluster:")) {
    throw new RequestError(`"scope" must be "system" or "cluster:<name>"`);
  }
  const type = o["type"] === undefined ? undefined : name(o["type"], "type");
  if (type !== undefined && !types.includes(type)) throw new RequestError(`"type" must be one of ${types.join(", ")}`);
  return {
    ...(scope !== undefined ? { scope } : {}),
    ...(o["cluster"] !== undefined ? { cluster: name(o["cluster"], "cluster") } : {}),
    ...(type !== undefined ? { type } : {}),
    limit: o["limit"] === undefined ? DEFAULT_EVENTS_LIMIT : positive(o["limit"], "limit", MAX_EVENTS_LIMIT),
    page: o["page"] === undefined ? 1 : positive(o["page"], "page", 1_000_000),
  };
}
