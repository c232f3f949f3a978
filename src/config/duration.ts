import { ConfigError } from "./config-error.js";

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "500ms", "30s", "5m", "24h", "1h30m", "2d" into milliseconds. */
export function parseDuration(text: string, what: string): number {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]!]!;
    end = re.lastIndex;
  }
  if (s === "" || end !== s.length || !Number.isFinite(total)) {
    throw new ConfigError(`${what}: ${JSON.stringify(text)} is not a duration (use e.g. 500ms, 30s, 5m, 24h)`);
  }
  return Math.round(total);
}
