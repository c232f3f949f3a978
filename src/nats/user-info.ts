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
  /** The id of the server that answered, when the answer says. */
  readonly server?: string;
}

export const USER_INFO_SUBJECT = "$SYS.REQ.USER.INFO";
/** Asked again when only other servers answered: in a test cluster ours missed about 1 request in 15. */
const USER_INFO_ATTEMPTS = 5;
/** Once answers started, this long without another ends them (every server that answers does so at once). */
const USER_INFO_STALL_MS = 250;

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
  const server = isJsonObject(msg["server"]) && typeof msg["server"]["id"] === "string" ? msg["server"]["id"] : undefined;
  return {
    user: typeof d["user"] === "string" ? d["user"] : "",
    account: d["account"],
    ...(publish ? { publish } : {}),
    ...(subscribe ? { subscribe } : {}),
    ...(server !== undefined ? { server } : {}),
  };
}

/**
 * Who the server thinks this connection is. Undefined where the server cannot say: before 2.10,
 * or when the user may not ask; callers then fall back to what they can observe.
 */
export async function fetchUserInfo(nc: NatsConnection, timeoutMs = 2000): Promise<UserInfo | undefined> {
  // Only the server this connection is on can say what it may do: the answer is about the
  // connection the request arrived on. A leaf server linked through this account answers too,
  // about its leafnode connection (one linked by an application account denies $KV.> and
  // $JS.API.>), and now and then another server of the cluster answers instead of ours, about the
  // route (no permissions at all). The first answer to arrive was any of these.
  const ours = nc.info?.server_id;
  for (let attempt = 0; attempt < USER_INFO_ATTEMPTS; attempt++) {
    let answered = false;
    try {
      const answers = await nc.requestMany(USER_INFO_SUBJECT, "", { maxWait: timeoutMs, strategy: "stall", stall: USER_INFO_STALL_MS });
      for await (const m of answers) {
        const info = parseUserInfo(m.data);
        answered ||= info !== undefined;
        if (info && (ours === undefined || info.server === undefined || info.server === ours)) return info;
      }
    } catch {
      // No responders (before 2.10), no permission to ask, or nobody answered in time.
    }
    // Only an answer from another server came: ours answers the next request, nearly always.
    if (!answered) return undefined;
  }
  return undefined;
}
