/** Times on the wire and in KV are ISO-8601 (UTC), as nats-server writes its own. */
export function isoTime(ms: number): string {
  // Date's own for what the fast path does not cover: before 1970, past 9999, NaN (which throws).
  if (!(ms >= 0 && ms < LAST_FAST_MS)) return new Date(ms).toISOString();
  // A report formats a time for each server, outlier and cluster it shows (12,000 at 100,000
  // servers): toISOString took 15 ms of each whole-system rendering. The date part is shared.
  const t = Math.trunc(ms);
  const day = Math.floor(t / DAY_MS);
  let rest = t - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  return `${datePart(day)}${two(h)}:${two(m)}:${two(s)}.${three(rest - s * 1000)}Z`;
}

const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00.000Z: from there toISOString writes a six-digit year. */
const LAST_FAST_MS = 253_402_300_800_000;
const dates = new Map<number, string>();

/** "YYYY-MM-DDT" of a day since 1970; a report's times fall on a few days. */
function datePart(day: number): string {
  let text = dates.get(day);
  if (text === undefined) {
    if (dates.size >= 1024) dates.clear();
    text = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dates.set(day, text);
  }
  return text;
}

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);
