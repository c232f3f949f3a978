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

/**
 * An ISO-8601 time as Date.parse reads it (ms; NaN where it reads none). The form isoTime writes
 * (YYYY-MM-DDTHH:MM:SS.sssZ) is read by hand, the date part's ms from Date.parse once per day:
 * a stored record holds six times, and Date.parse of 600,000 took a quarter of decoding 100,000
 * records at a start. Anything else is Date.parse's, so the two agree on every text.
 */
export function parseIsoTime(text: string): number {
  if (text.length !== 24 || text.charCodeAt(10) !== 0x54 || text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a || text.charCodeAt(19) !== 0x2e || text.charCodeAt(23) !== 0x5a) {
    return Date.parse(text);
  }
  const h = digits(text, 11, 2);
  const m = digits(text, 14, 2);
  const s = digits(text, 17, 2);
  const ms = digits(text, 20, 3);
  // Out of range (24:00, a leap second) or not digits: Date.parse decides.
  if (!(h >= 0 && h <= 23 && m >= 0 && m <= 59 && s >= 0 && s <= 59 && ms >= 0)) return Date.parse(text);
  return dayStart(text.slice(0, 10)) + ((h * 60 + m) * 60 + s) * 1000 + ms;
}

/** The number written in `count` decimal digits at `at`; -1 where one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const dayStarts = new Map<string, number>();

/** Date.parse of the day's midnight (NaN for a day it does not read), for a few days at a time. */
function dayStart(date: string): number {
  let ms = dayStarts.get(date);
  if (ms === undefined) {
    if (dayStarts.size >= 1024) dayStarts.clear();
    ms = Date.parse(`${date}T00:00:00.000Z`);
    dayStarts.set(date, ms);
  }
  return ms;
}
