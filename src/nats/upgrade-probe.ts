import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { isJsonObject } from "../core/is-json-object.js";
import type { ServerObservation } from "../core/observation.js";
import type { HealthAnswer, MetaView } from "../core/upgrade-gate.js";
import { parseStatsz } from "./advertisement.js";
import { permissionViolation } from "./startup-check.js";

/** The $SYS requests the upgrade gate sends; nats-conf/ grants the monitor's system user these. */
export const GateSubject = {
  Healthz: "$SYS.REQ.SERVER.PING.HEALTHZ",
  Jsz: "$SYS.REQ.SERVER.PING.JSZ",
  Statsz: "$SYS.REQ.SERVER.PING.STATSZ",
} as const;

/** What the servers said when asked, right now. */
export interface ProbeAnswers {
  /** By server name. */
  readonly health: Map<string, HealthAnswer>;
  /** Every JetStream meta leader's view (one per JetStream domain). */
  readonly metas: MetaView[];
  /** Requests the monitor may not send, as one line each. */
  readonly refused: string[];
}

type Json = Record<string, unknown>;

function decode(m: Msg): Json | undefined {
  try {
    const v: unknown = m.json();
    return isJsonObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function serverName(o: Json): string | undefined {
  const s = o["server"];
  if (!isJsonObject(s)) return undefined;
  const n = typeof s["name"] === "string" && s["name"] !== "" ? s["name"] : s["id"];
  return typeof n === "string" ? n : undefined;
}

/** An answer to HEALTHZ: `{server, data: {status, status_code?, error?, errors?}}`; an unhealthy one has no `error` field at the top. */
export function parseHealth(o: Json): HealthAnswer | undefined {
  const d = o["data"];
  if (!isJsonObject(d)) {
    const e = isJsonObject(o["error"]) ? o["error"] : undefined;
    return e ? { status: "error", error: String(e["description"] ?? "request failed"), errors: [] } : undefined;
  }
  if (typeof d["status"] !== "string") return undefined;
  const errors = Array.isArray(d["errors"])
    ? d["errors"].filter(isJsonObject).map((e) => ({
        type: String(e["type"] ?? ""),
        ...(typeof e["account"] === "string" ? { account: e["account"] } : {}),
        ...(typeof e["stream"] === "string" ? { stream: e["stream"] } : {}),
        ...(typeof e["consumer"] === "string" ? { consumer: e["consumer"] } : {}),
        ...(typeof e["error"] === "string" ? { error: e["error"] } : {}),
      }))
    : [];
  return {
    status: d["status"],
    ...(typeof d["status_code"] === "number" ? { statusCode: d["status_code"] } : {}),
    ...(typeof d["error"] === "string" && d["error"] !== "" ? { error: d["error"] } : {}),
    errors,
  };
}

/** An answer to JSZ with leader_only: `{server, data: {meta_cluster: {leader, replicas: [...]}}}`. */
export function parseMeta(o: Json): MetaView | undefined {
  const d = o["data"];
  const meta = isJsonObject(d) && isJsonObject(d["meta_cluster"]) ? d["meta_cluster"] : undefined;
  if (!meta || typeof meta["leader"] !== "string" || meta["leader"] === "") return undefined;
  const replicas = Array.isArray(meta["replicas"])
    ? meta["replicas"].filter(isJsonObject).filter((r) => typeof r["name"] === "string").map((r) => ({
        name: r["name"] as string,
        current: r["current"] === true,
        offline: r["offline"] === true,
        ...(typeof r["lag"] === "number" ? { lag: r["lag"] } : {}),
      }))
    : [];
  return { leader: meta["leader"], replicas };
}

/**
 * Asks the servers, now, for what the gate needs: every server's full health check, the JetStream
 * meta leader's view, and fresh STATSZ (client counts, handed to `onStatsz`). Each request waits
 * at most `timeoutMs`, less when every expected server has answered.
 */
export async function probeForGate(
  sys: NatsConnection,
  opts: { cluster?: string; expected: number; timeoutMs: number; onStatsz: (obs: ServerObservation) => void },
): Promise<ProbeAnswers> {
  const filter = opts.cluster !== undefined ? { cluster: opts.cluster } : {};
  const refused: string[] = [];
  const ask = async (subject: string, body: Json, expected: number | undefined): Promise<Msg[]> => {
    const out: Msg[] = [];
    try {
      const it = await sys.requestMany(subject, JSON.stringify(body), { maxWait: opts.timeoutMs, ...(expected ? { strategy: "count" as const, maxMessages: expected } : {}) });
      for await (const m of it) out.push(m);
    } catch (err) {
      const denied = permissionViolation(err);
      if (denied) refused.push(`the monitor's system user may not publish to ${subject}, which the upgrade gate needs: allow it (nats-conf/accounts.conf)`);
    }
    return out;
  };
  // "details" lists every failing asset on 2.10+, and is ignored before; no other option: the full check.
  // One meta leader answers JSZ with leader_only (one JetStream domain; leaf domains are not gated here).
  const [healthMsgs, metaMsgs, statszMsgs] = await Promise.all([
    ask(GateSubject.Healthz, { ...filter, details: true }, opts.expected),
    ask(GateSubject.Jsz, { leader_only: true }, 1),
    ask(GateSubject.Statsz, filter, opts.expected),
  ]);
  const health = new Map<string, HealthAnswer>();
  for (const m of healthMsgs) {
    const o = decode(m);
    const name = o && serverName(o);
    const h = o && parseHealth(o);
    if (name && h) health.set(name, h);
  }
  const metas: MetaView[] = [];
  for (const m of metaMsgs) {
    const o = decode(m);
    const v = o && parseMeta(o);
    if (v) metas.push(v);
  }
  for (const m of statszMsgs) {
    try {
      opts.onStatsz(parseStatsz(m.data));
    } catch {
      // not an advertisement: the collector counts those; here it is just not news
    }
  }
  return { health, metas, refused };
}
