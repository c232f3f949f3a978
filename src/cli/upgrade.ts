import type { Flags } from "../config/connection-config.js";
import { parseDuration } from "../config/duration.js";
import type { ClusterGate } from "../core/upgrade-gate.js";
import type { UpgradeAnswer } from "../nats/upgrade-gatekeeper.js";
import { CommandError, ServiceError } from "./command-error.js";
import { renderColumns } from "./report-table.js";
import { askService } from "./service-request.js";
import { UPGRADE_SUBJECT } from "./subjects.js";

/** `upgrade wait` gave up: the gate did not open in time. */
export const EXIT_TIMEOUT = 3;
/** `upgrade wait` stopped on a verdict that needs a person. */
export const EXIT_BLOCKED = 1;

function upgradeBody(flags: Flags): string {
  return typeof flags["cluster"] === "string" ? JSON.stringify({ cluster: flags["cluster"] }) : "";
}

function reasonLines(g: ClusterGate): string[] {
  return g.reasons.map((r) => `  ${r.verdict}: ${r.text} (since ${r.since})`);
}

/** The verdict as an operator reads it: per cluster, what holds it, what is next, the path. */
export function renderUpgradeTable(a: UpgradeAnswer): string {
  const out: string[] = [`${a.verdict.toUpperCase()}${a.filter.cluster ? `  cluster ${a.filter.cluster}` : ""}  (${a.asked.health_answers} of ${a.asked.expected} servers answered their health check)`];
  for (const g of a.clusters) {
    out.push("", `cluster ${g.cluster}: ${g.verdict}${g.target ? `  target ${g.target}` : ""}`);
    out.push(...reasonLines(g));
    if (g.next) out.push(`  next: ${g.next.server} (${g.next.version}): ${g.next.why}`);
    else if (g.target) out.push(`  every server runs ${g.target}`);
    if (g.path.length > 1) out.push(`  path: ${g.path.join(" -> ")} (upgrade incrementally: each step a full rolling pass)`);
    out.push(renderColumns([["  SERVER", "VERSION", "STATE", "HEALTH"], ...g.servers.map((s) => [`  ${s.name}`, s.version, s.state, s.health])]));
  }
  if (a.not_answering.length > 0) out.push("", `not answering: ${a.not_answering.join(", ")}`);
  return out.join("\n");
}

/** `upgrade status`: the verdict once, as a table or the raw JSON. */
export async function upgradeStatus(flags: Flags, print: (text: string) => void): Promise<number> {
  const msg = await askService(flags, UPGRADE_SUBJECT, upgradeBody(flags));
  print(flags["json"] ? msg.string() : renderUpgradeTable(msg.json<UpgradeAnswer>()));
  return 0;
}

/** One line: why the gate is not open. */
function summary(a: UpgradeAnswer): string {
  const reasons = a.clusters.flatMap((g) => g.reasons.map((r) => `${g.cluster}: ${r.text}`));
  return reasons.slice(0, 3).join("; ") + (reasons.length > 3 ? `; and ${reasons.length - 3} more` : "");
}

/**
 * `upgrade wait`: asks until the verdict is `ready` (exit 0, the next server on stdout), `blocked`
 * (exit 1) or the time is up (exit 3), printing each change of verdict on the way. A service that
 * does not answer for a moment (its server is the one being upgraded) is waited for, not fatal.
 */
export async function upgradeWait(flags: Flags, print: (text: string) => void, warn: (text: string) => void): Promise<number> {
  const limit = typeof flags["timeout"] === "string" ? parseDuration(flags["timeout"], "--timeout") : 15 * 60_000;
  const interval = typeof flags["interval"] === "string" ? parseDuration(flags["interval"], "--interval") : 2000;
  const deadline = Date.now() + limit;
  const { timeout: _overall, ...requestFlags } = flags;
  // Asks again and again across restarts of servers: nats.js reconnects (the quick path asks once).
  const { withService } = await import("./nats-service.js");
  return withService(
    requestFlags,
    async (ask) => {
      let last = "";
      let lastAnswer: UpgradeAnswer | undefined;
      let lastError = "";
      for (;;) {
        try {
          const a = (await ask(UPGRADE_SUBJECT, upgradeBody(flags))).json<UpgradeAnswer>();
          lastAnswer = a;
          // A change of what holds the gate is news; the same reasons a second older are not.
          const key = `${a.verdict} ${a.clusters.flatMap((g) => g.reasons.map((r) => `${g.cluster}/${r.key}`)).join(",")}`;
          if (a.verdict === "ready") {
            const next = a.clusters.map((g) => (g.next ? `${g.cluster}: next ${g.next.server} (${g.next.version})` : `${g.cluster}: every server runs ${g.target ?? "-"}`));
            print(`ready: ${next.join("; ")}`);
            return 0;
          }
          if (a.verdict === "blocked") {
            warn(`nats-version-monitor: blocked: ${summary(a)}`);
            return EXIT_BLOCKED;
          }
          if (key !== last) print(`${new Date().toISOString()} ${a.verdict}: ${summary(a)}`);
          last = key;
        } catch (err) {
          if (err instanceof ServiceError || !(err instanceof CommandError)) throw err;
          lastError = err.message;
        }
        if (Date.now() + interval > deadline) {
          const why = lastAnswer ? `${lastAnswer.verdict}: ${summary(lastAnswer)}` : lastError;
          warn(`nats-version-monitor: timed out after ${Math.round(limit / 1000)}s waiting for the upgrade gate to be ready; last: ${why}`);
          return EXIT_TIMEOUT;
        }
        await new Promise((r) => setTimeout(r, interval));
      }
    },
    true,
  );
}
