import type { NatsConnection } from "@nats-io/nats-core";
import { isJsonObject } from "../core/is-json-object.js";
import type { SubjectPermission } from "../core/subject-permission.js";

/** What `$SYS.REQ.USER.INFO` says about the connected user (nats-server 2.10 and later). */
export interface UserInfo {
  readonly user: string;
  readonly account: string;
  /** Absent when the user has no permission limits. */
  readonly publish?: SubjectPermission;
  readonly subscribe?: SubjectPermission;
}

export const USER_INFO_SUBJECT = "$SYS.REQ.USER.INFO";

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : undefined;
}

function permission(v: unknown): SubjectPermission | undefined {
  if (!isJsonObject(v)) return undefined;
  const allow = strings(v["allow"]);
  const deny = strings(v["deny"]);
  return { ...(allow ? { allow } : {}), ...(deny ? { deny } : {}) };
}

/** Validates an answer of `$SYS.REQ.USER.INFO`; undefined when it is not one. */
export function parseUserInfo(data: Uint8Array): UserInfo | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  if (!isJsonObject(msg) || !isJsonObject(msg["data"])) return undefined;
  const d = msg["data"];
  if (typeof d["account"] !== "string") return undefined;
  const perms = isJsonObject(d["permissions"]) ? d["permissions"] : {};
  const publish = permission(perms["publish"]);
  const subscribe = permission(perms["subscribe"]);
  return {
    user: typeof d["user"] === "string" ? d["user"] : "",
    account: d["account"],
    ...(publish ? { publish } : {}),
    ...(subscribe ? { subscribe } : {}),
  };
}

/**
 * Who the server thinks this connection is. Undefined where the server cannot say: before 2.10,
 * or when the user may not ask; callers then fall back to what they can observe.
 */
export async function fetchUserInfo(nc: NatsConnection, timeoutMs = 2000): Promise<UserInfo | undefined> {
  try {
    const m = await nc.request(USER_INFO_SUBJECT, "", { timeout: timeoutMs });
    return parseUserInfo(m.data);
  } catch {
    return undefined;
  }
}
