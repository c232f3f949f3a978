import { capHistory, type ServerRecord, type VersionChange } from "./server-record.js";

/**
 * Combines our view of a server with the one another instance stored (after a failed
 * compare-and-set), so that no instance loses what another saw first: the earliest first-seen and
 * version-since times win, histories are merged, and our latest observation supplies the rest.
 */
export function mergeRecords(ours: ServerRecord, stored: ServerRecord): ServerRecord {
  const sameVersion = ours.version === stored.version;
  return {
    ...ours,
    firstSeen: Math.min(ours.firstSeen, stored.firstSeen),
    versionSince: sameVersion ? Math.min(ours.versionSince, stored.versionSince) : ours.versionSince,
    lastSeen: Math.max(ours.lastSeen, stored.lastSeen),
    stateSince: ours.state === stored.state && ours.id === stored.id ? Math.min(ours.stateSince, stored.stateSince) : ours.stateSince,
    history: mergeHistories(ours.history, stored.history),
  };
}

const sameChange = (a: VersionChange, b: VersionChange) => a.kind === b.kind && a.version === b.version && a.from === b.from;

/** Two instances record the same change a few ms apart: keep one entry per consecutive change. */
function mergeHistories(a: readonly VersionChange[], b: readonly VersionChange[]): VersionChange[] {
  const all = [...a, ...b].sort((x, y) => x.at - y.at);
  const out: VersionChange[] = [];
  for (const change of all) {
    const last = out.at(-1);
    if (last && sameChange(last, change)) continue;
    if (change.kind === "first-seen" && out.length > 0) continue;
    out.push(change);
  }
  return capHistory(out);
}
