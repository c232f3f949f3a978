import { formatAgo } from "./format-ago.js";
import { isoTime as iso } from "./iso-time.js";
import { ServerState, compareByName, type ServerRecord } from "./server-record.js";
import { upgradePath } from "./upgrade-path.js";
import { compareVersions, parseVersion } from "./version.js";

/**
 * Is it safe to take the next server of a cluster down? The procedure NATS documents: one server
 * at a time (lame duck, stop, upgrade, start), and the next only when the last is back, healthy,
 * every Raft group has it current and the clients have reconnected. Pure: the facts come in.
 */
export const Verdict = {
  /** The next server may be taken down now. */
  Ready: "ready",
  /** Something is still catching up; it will pass on its own. */
  Wait: "wait",
  /** Something needs a person. */
  Blocked: "blocked",
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** One server's answer to `$SYS.REQ.SERVER.PING.HEALTHZ` (empty options: the full check). */
export interface HealthAnswer {
  /** "ok", "unavailable", "error", ... */
  readonly status: string;
  readonly statusCode?: number;
  /** Before 2.10 (and without details), the one failing check. */
  readonly error?: string;
  /** 2.10+ with details: every failing asset. */
  readonly errors: readonly { readonly type: string; readonly stream?: string; readonly consumer?: string; readonly account?: string; readonly error?: string }[];
}

/** The JetStream meta group as its leader sees it (`$SYS.REQ.SERVER.PING.JSZ` with leader_only). */
export interface MetaView {
  readonly leader: string;
  readonly replicas: readonly { readonly name: string; readonly current: boolean; readonly offline: boolean; readonly lag?: number }[];
}

export interface GateFacts {
  readonly cluster: string;
  /** Every server of the cluster the monitor knows (until --forget-after). */
  readonly members: readonly ServerRecord[];
  readonly unreachable: ReadonlyMap<string, number>;
  /** Members not heard from within --offline-after. */
  readonly offline: ReadonlySet<string>;
  /** Answers by server name; a missing name did not answer in time. */
  readonly health: ReadonlyMap<string, HealthAnswer>;
  /** Whether the cluster runs JetStream (its servers' STATSZ say so). */
  readonly jetstream: boolean;
  /** Undefined: no meta leader answered. */
  readonly meta: MetaView | undefined;
  /** The cluster's client connections now, and the last server that went down with the count just before. */
  readonly clients: number;
  readonly departure?: { readonly server: string; readonly at: number; readonly clientsBefore: number };
  /** The version the fleet is being upgraded to: the newest any live server runs. */
  readonly target: string | undefined;
  /** Facts the monitor could not get (a refused request): the gate cannot open without them. */
  readonly unknown: readonly string[];
  readonly now: number;
}

export interface GatePolicy {
  /**
   * Every check must have passed for this long before the gate opens: a server just back can
   * answer its health check "ok" before it has taken up its stream assignments, then not.
   */
  readonly settleMs: number;
  /** A condition that should pass on its own but lasts longer than this needs a person. */
  readonly blockAfterMs: number;
  /** Clients are back when the cluster has this share of the connections it had before the last server went down... */
  readonly clientsShare: number;
  /** ...or when this long has passed since (some clients never come back, e.g. short-lived jobs). */
  readonly clientsGraceMs: number;
}

export const defaultGatePolicy: GatePolicy = { settleMs: 3000, blockAfterMs: 600_000, clientsShare: 0.9, clientsGraceMs: 300_000 };

/** A reason the gate is not open, with a key that stays the same while the condition lasts. */
export interface GateReason {
  readonly key: string;
  readonly verdict: typeof Verdict.Wait | typeof Verdict.Blocked;
  readonly text: string;
}

export interface ClusterGate {
  readonly cluster: string;
  readonly verdict: Verdict;
  readonly reasons: readonly (GateReason & { readonly since: string })[];
  readonly target: string | null;
  /** The server to take down next, and why that one. */
  readonly next: { readonly server: string; readonly version: string; readonly why: string } | null;
  /** Versions to roll the cluster to in turn, from its oldest member to the target. */
  readonly path: readonly string[];
  readonly servers: readonly { readonly name: string; readonly version: string; readonly state: string; readonly health: string }[];
}

/** Healthy: "ok" with no status code, or with 200; an "ok" under any other code is not. */
function isHealthy(h: HealthAnswer | undefined): boolean {
  return h?.status === "ok" && (h.statusCode === undefined || h.statusCode === 200);
}

function healthText(h: HealthAnswer | undefined): string {
  if (!h) return "no answer";
  if (isHealthy(h)) return "ok";
  if (h.errors.length === 0 && !h.error && h.statusCode !== undefined && h.statusCode !== 200) return `${h.status} (status code ${h.statusCode})`;
  const failing = h.errors.map((e) => [e.type, e.stream ?? "", e.consumer ?? ""].filter((x) => x !== "").join(" ") + (e.error ? `: ${e.error}` : ""));
  return `${h.status}${failing.length > 0 ? ` (${failing.slice(0, 3).join("; ")}${failing.length > 3 ? ` and ${failing.length - 3} more` : ""})` : h.error ? ` (${h.error})` : ""}`;
}

function reasonsOf(f: GateFacts, policy: GatePolicy): GateReason[] {
  const out: GateReason[] = [];
  const wait = (key: string, text: string) => out.push({ key, verdict: Verdict.Wait, text });
  const block = (key: string, text: string) => out.push({ key, verdict: Verdict.Blocked, text });
  for (const u of f.unknown) block(`unknown:${u}`, u);
  for (const r of [...f.members].sort(compareByName)) {
    if (f.offline.has(r.name)) {
      block(`gone:${r.name}`, `${r.name} (${r.version}) has not been heard from since ${iso(r.lastSeen)}: bring it back, or remove it from the cluster (and the JetStream meta group: nats server raft peer-remove), before taking another server down`);
      continue;
    }
    const gone = f.unreachable.get(r.name);
    if (gone !== undefined) {
      block(`unreachable:${r.name}`, `${r.name} is unreachable (last heard ${formatAgo(f.now - gone)} ago): bring it back, or remove it from the cluster, before taking another server down`);
      continue;
    }
    if (r.state === ServerState.LameDuck) {
      wait(`lame-duck:${r.name}`, `${r.name} entered lame duck mode: wait until it has stopped, been upgraded and is back`);
      continue;
    }
    if (r.state === ServerState.ShutDown) {
      wait(`shut-down:${r.name}`, `${r.name} is shut down: wait until it is back`);
      continue;
    }
    const h = f.health.get(r.name);
    if (!h) wait(`no-health:${r.name}`, `${r.name} did not answer its health check (HEALTHZ) in time`);
    else if (!isHealthy(h)) wait(`unhealthy:${r.name}`, `${r.name} is not healthy yet: ${healthText(h)}`);
  }
  if (f.jetstream) {
    if (!f.meta) wait("meta:leader", "the JetStream meta group has no leader (or it did not answer)");
    else {
      const names = new Set(f.members.map((m) => m.name));
      for (const p of f.meta.replicas) {
        if (!names.has(p.name)) continue;
        if (p.offline) wait(`meta:offline:${p.name}`, `the JetStream meta group sees ${p.name} offline`);
        else if (!p.current) wait(`meta:current:${p.name}`, `${p.name} is not current in the JetStream meta group${p.lag ? ` (lag ${p.lag})` : ""}`);
      }
    }
  }
  const d = f.departure;
  const back = f.members.find((m) => m.name === d?.server);
  if (d && back && back.state === ServerState.Running && f.now - d.at < policy.clientsGraceMs && f.clients < Math.floor(d.clientsBefore * policy.clientsShare)) {
    wait(`clients:${d.server}`, `clients have not reconnected yet since ${d.server} went down: ${f.clients} of the ${d.clientsBefore} connections before (waiting for ${Math.round(policy.clientsShare * 100)}%, at most ${formatAgo(policy.clientsGraceMs)})`);
  }
  return out;
}

function nextServer(f: GateFacts): ClusterGate["next"] {
  if (!f.target) return null;
  const target = parseVersion(f.target)!;
  const behind = f.members.filter((m) => {
    const v = parseVersion(m.version);
    return m.state === ServerState.Running && !f.unreachable.has(m.name) && !f.offline.has(m.name) && v !== undefined && compareVersions(v, target) < 0;
  });
  if (behind.length === 0) return null;
  // The meta leader last: taking it down forces an election, once instead of every step.
  const leader = f.meta?.leader;
  const pick = [...behind].sort((a, b) => Number(a.name === leader) - Number(b.name === leader) || compareByName(a, b))[0]!;
  const why =
    pick.name === leader
      ? `the last server not on ${f.target}, and the JetStream meta leader (lame duck mode hands leadership over)`
      : `runs ${pick.version}, older than ${f.target}${leader ? `; not the JetStream meta leader (${leader}), which goes last` : ""}`;
  return { server: pick.name, version: pick.version, why };
}

function oldest(members: readonly ServerRecord[]): string | undefined {
  let best: ReturnType<typeof parseVersion>;
  for (const m of members) {
    const v = parseVersion(m.version);
    if (v && (!best || compareVersions(v, best) < 0)) best = v;
  }
  return best?.text;
}

/**
 * The verdict for one cluster. `since` gives when each reason was first seen (the caller keeps
 * that memory); a wait that lasts longer than the policy allows becomes blocked.
 */
export function judgeCluster(f: GateFacts, since: (key: string) => number, policy: GatePolicy = defaultGatePolicy): ClusterGate {
  const found = reasonsOf(f, policy);
  if (found.length === 0) {
    // Nothing holds the gate now; "settle" starts its clock the first time that is so.
    const clear = since("settle");
    if (f.now - clear < policy.settleMs) {
      found.push({ key: "settle", verdict: Verdict.Wait, text: `every check passed ${formatAgo(f.now - clear)} ago; holding ${formatAgo(policy.settleMs)} to see that it stays so` });
    }
  }
  const reasons = found.map((r) => {
    const from = since(r.key);
    const overdue = r.verdict === Verdict.Wait && f.now - from > policy.blockAfterMs;
    return {
      ...r,
      verdict: overdue ? Verdict.Blocked : r.verdict,
      text: overdue ? `${r.text} (for ${formatAgo(f.now - from)}, longer than ${formatAgo(policy.blockAfterMs)}: look at it)` : r.text,
      since: iso(from),
    };
  });
  const verdict = reasons.some((r) => r.verdict === Verdict.Blocked) ? Verdict.Blocked : reasons.length > 0 ? Verdict.Wait : Verdict.Ready;
  const from = oldest(f.members);
  return {
    cluster: f.cluster,
    verdict,
    reasons,
    target: f.target ?? null,
    next: nextServer(f),
    path: from && f.target ? upgradePath(from, f.target) : [],
    servers: [...f.members].sort(compareByName).map((m) => ({
      name: m.name,
      version: m.version,
      state: f.offline.has(m.name) ? "offline" : f.unreachable.has(m.name) ? "unreachable" : m.state,
      health: healthText(f.health.get(m.name)),
    })),
  };
}
