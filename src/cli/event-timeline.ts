import type { HistoryPage } from "../nats/event-stream.js";

/** A page of event history as a timeline: oldest first, so the newest line is nearest the prompt. */
export function renderEventTimeline(page: HistoryPage): string {
  if (page.events.length === 0) return page.page > 1 ? `No events on page ${page.page}.` : "No events recorded yet.";
  const lines: string[] = [];
  for (const { event: e } of [...page.events].reverse()) {
    const versions = e.versions.map((v) => `${v.version} (${v.count})`).join(", ");
    const from = e.previous_state === null ? "" : `${e.previous_state} -> `;
    lines.push(`${e.at}  ${e.scope}  #${e.seq} ${e.type}  ${from}${e.state}  target ${e.target ?? "-"}  versions ${versions || "-"}`);
    if (e.outliers.length > 0) {
      const more = e.outliers_omitted > 0 ? ` and ${e.outliers_omitted} more` : "";
      lines.push(`    outliers: ${e.outliers.map((o) => `${o.name} ${o.version}`).join(", ")}${more}`);
    }
    lines.push(`    ${e.action}`);
  }
  const shown = (page.page - 1) * page.limit + page.events.length;
  lines.push(`${shown} of ${page.matched} event(s) in ${page.stream}${page.more ? ` (older: --page ${page.page + 1})` : ""}`);
  return lines.join("\n");
}
