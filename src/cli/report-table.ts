import { formatAgo } from "../core/format-ago.js";
import type { ServerView, VersionReport } from "../core/version-report.js";

/** Left-aligned columns, two spaces apart. */
export function renderColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n");
}

const uptime = (s: ServerView) => (s.uptime_seconds === undefined ? "-" : formatAgo(s.uptime_seconds * 1000));

/** One line on what the monitor sees: answers to its last ping against what the servers list. */
function seen(r: VersionReport): string {
  const v = r.visibility;
  const answered = v.last_ping ? `${v.last_ping.answered} of ${v.expected_servers} expected server(s) answered the last ping` : `${v.expected_servers} server(s) expected, no ping answered yet`;
  const missing = v.not_answering.length > 0 ? `; not answering: ${v.not_answering.join(", ")}${v.not_answering_omitted ? ` and ${v.not_answering_omitted} more` : ""}` : "";
  const dark = v.unreachable > 0 ? `; ${v.unreachable} unreachable` : "";
  return `seen: ${answered}${missing}${dark}`;
}

/** One line on known advisories: the target's, the recommendation, how many servers, which dataset. */
function security(r: VersionReport): string {
  const s = r.security!;
  const t = s.target && s.target.count > 0 ? `target ${r.target} affected by ${s.target.count} advisories (${s.target.ids.slice(0, 3).join(", ")}${s.target.count > 3 ? ", ..." : ""})` : `target ${r.target ?? "-"} not affected by any known advisory`;
  const rec = s.recommended_version ? `; recommended ${s.recommended_version}` : "";
  return `security: ${t}${rec}; ${s.affected_servers} server(s) affected; advisories as of ${s.dataset.as_of} (${s.dataset.source})`;
}

/** The inventory's findings: what is missing, unexpected, off its pin, and the outliers by pipeline. */
function inventoryLines(r: VersionReport): string[] {
  const inv = r.inventory!;
  const lines = [`inventory (${inv.entries} entries):`];
  lines.push(`  missing: ${inv.missing.length === 0 ? "none" : inv.missing.map((m) => `${m.name}${m.last_seen ? ` (last seen ${m.last_seen})` : " (never seen)"}`).join(", ")}`);
  lines.push(`  unexpected: ${inv.unexpected.length === 0 ? "none" : inv.unexpected.map((u) => `${u.name} (${u.cluster || "-"}, ${u.version})`).join(", ")}`);
  lines.push(`  drift: ${inv.drift.length === 0 ? "none" : inv.drift.map((d) => `${d.name} runs ${d.version}, pinned ${d.pinned}${d.pipeline ? ` by ${d.pipeline}` : ""}`).join(", ")}`);
  for (const g of inv.outliers_by_pipeline) lines.push(`  outliers of pipeline ${g.pipeline}: ${g.outliers.join(", ")}`);
  return lines;
}

/** The report as an operator reads it in a terminal: summary, versions, then every server listed. */
export function renderReportTable(r: VersionReport): string {
  const out: string[] = [];
  if (r.target === null) {
    out.push("No servers seen yet.");
    return out.join("\n");
  }
  const scope = r.filter.cluster ? `cluster ${r.filter.cluster}` : r.filter.server ? `server ${r.filter.server}` : "all clusters";
  out.push(
    `${r.consistent ? "CONSISTENT" : "MISMATCH"}  target ${r.target}  ${r.server_count} server(s)  ${scope}`,
    ...(r.since !== null ? [`state: ${r.state} since ${r.since} (${formatAgo((r.mismatch_seconds ?? 0) * 1000)})`] : []),
    `gap: ${r.gap} (${r.risk})`,
    ...r.reasons.map((why) => `  - ${why}`),
    `action: ${r.action}`,
    seen(r),
    ...(r.security ? [security(r)] : []),
    "",
  );
  out.push(
    renderColumns([
      ["VERSION", "SERVERS", "NAMES"],
      ...r.groups.map((g) => [
        `${g.version}${g.version === r.target ? " (target)" : ""}`,
        String(g.count),
        g.servers.join(", ") + (g.more ? ` and ${g.more} more` : ""),
      ]),
    ]),
    "",
  );
  if (r.clusters.length > 1) {
    out.push(
      renderColumns([
        ["CLUSTER", "SERVERS", "TARGET", "STATE", "GAP", "SINCE"],
        ...r.clusters.map((c) => [c.name, String(c.server_count), c.target ?? "-", c.state, c.gap, c.since ?? "-"]),
      ]),
      "",
    );
  }
  const outliers = new Map(r.outliers.map((o) => [o.name, o]));
  out.push(
    renderColumns([
      ["", "SERVER", "CLUSTER", "VERSION", "GAP", "UPTIME", "STATE", "FIRST SEEN", "ADVISORIES", "LIKELY CAUSE"],
      ...r.servers.map((s) => {
        const o = outliers.get(s.name);
        const adv = s.advisories ? `${s.advisories.count}${s.advisories.worst_severity ? ` (${s.advisories.worst_severity})` : ""}` : "0";
        return [o ? "*" : " ", s.name, s.cluster, s.version, o ? `${o.gap} (${o.direction})` : "-", uptime(s), s.state, s.first_seen, adv, o?.cause ?? ""];
      }),
    ]),
  );
  if (r.page.total_pages > 1) out.push(`page ${r.page.number} of ${r.page.total_pages} (${r.page.total_servers} servers); --page N for more`);
  if (r.outliers.length > 0) {
    out.push("* outlier: not on the target version");
    for (const o of r.outliers.slice(0, 10)) if (o.cause_detail) out.push(`  ${o.name}: ${o.cause} - ${o.cause_detail}`);
  }
  if (r.offline.length > 0) {
    out.push("", `offline: ${r.offline.map((o) => `${o.name} (${o.version}, ${o.state}, last seen ${o.last_seen})`).join(", ")}`);
  }
  if (r.inventory) out.push("", ...inventoryLines(r));
  for (const w of r.warnings) out.push(`warning: ${w.server === "" ? "" : `${w.server}: `}${w.detail}`);
  return out.join("\n");
}
