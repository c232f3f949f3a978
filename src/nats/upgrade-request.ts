import { name, requestObject } from "./report-request.js";

/** What a caller may ask of `versions.upgrade`: one cluster, or (empty body) every cluster. */
export interface UpgradeQuery {
  readonly cluster?: string;
}

/** Parses a `versions.upgrade` request body: empty, or `{"cluster"?: string}`. */
export function parseUpgradeRequest(data: Uint8Array): UpgradeQuery {
  const o = requestObject(data, ["cluster"]);
  return o["cluster"] === undefined ? {} : { cluster: name(o["cluster"], "cluster") };
}
