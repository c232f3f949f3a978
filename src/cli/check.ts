import { ConfigError } from "../config/config-error.js";
import type { Flags } from "../config/connection-config.js";
import { parseDuration } from "../config/duration.js";
import { checkVerdict, defaultCheckThresholds, readCheckReport, unknownVerdict, type CheckThresholds, type CheckVerdict } from "../core/check-verdict.js";
import { checkFormats, renderCheck, type CheckFormat } from "./check-output.js";
import { parseCommandFlags } from "./options.js";
import { askService } from "./service-request.js";
import { REPORT_SUBJECT } from "./subjects.js";
import { usage } from "./usage.js";

/** `--warn-after` and `--critical-after`, validated: the warning cannot come after the critical. */
export function checkThresholds(flags: Flags): CheckThresholds {
  const warnAfterMs = typeof flags["warn-after"] === "string" ? parseDuration(flags["warn-after"], "--warn-after") : defaultCheckThresholds.warnAfterMs;
  const criticalAfterMs = typeof flags["critical-after"] === "string" ? parseDuration(flags["critical-after"], "--critical-after") : defaultCheckThresholds.criticalAfterMs;
  if (warnAfterMs > criticalAfterMs) {
    throw new ConfigError(`--warn-after ${flags["warn-after"] ?? "1h"} is later than --critical-after ${flags["critical-after"] ?? "24h"}`);
  }
  return { warnAfterMs, criticalAfterMs };
}

function checkFormat(value: string | boolean | undefined): CheckFormat {
  if (value === undefined) return "nagios";
  if (typeof value === "string" && checkFormats.includes(value)) return value as CheckFormat;
  throw new ConfigError(`--format: ${JSON.stringify(value)} is not one of ${checkFormats.join(", ")}`);
}

/** The format asked for, read leniently, so that even a complaint about the other flags comes in it. */
function askedFormat(args: readonly string[]): CheckFormat {
  const i = args.findIndex((a) => a === "--format" || a.startsWith("--format="));
  const value = i < 0 ? undefined : args[i]!.includes("=") ? args[i]!.slice("--format=".length) : args[i + 1];
  return typeof value === "string" && checkFormats.includes(value) ? (value as CheckFormat) : "nagios";
}

async function judge(flags: Flags, thresholds: CheckThresholds): Promise<CheckVerdict> {
  // The whole-system report is always rendered ahead (a cache hit); a cluster's is after its first ask.
  const body = typeof flags["cluster"] === "string" ? JSON.stringify({ cluster: flags["cluster"] }) : "";
  const reply = await askService(flags, REPORT_SUBJECT, body);
  let answer: unknown;
  try {
    answer = reply.json<unknown>();
  } catch {
    return unknownVerdict(`the service's answer on ${REPORT_SUBJECT} is not JSON`);
  }
  const report = readCheckReport(answer);
  return typeof report === "string" ? unknownVerdict(`the service's answer on ${REPORT_SUBJECT} is not a report: ${report}`) : checkVerdict(report, thresholds);
}

/**
 * `check`: a monitoring plugin. Asks the running service for the report and prints one status
 * line (or a JSON object, or a few lines of text) with performance data on stdout; exits 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Whatever goes wrong — bad flags, no service, a bad answer —
 * is UNKNOWN, in the format asked for: a plugin never exits 1 for its own error.
 */
export async function check(args: string[], print: (text: string) => void): Promise<number> {
  let format = askedFormat(args);
  let verdict: CheckVerdict;
  try {
    const flags = parseCommandFlags("check", args);
    if (flags["help"]) {
      print(usage);
      return 0;
    }
    format = checkFormat(flags["format"]);
    verdict = await judge(flags, checkThresholds(flags));
  } catch (err) {
    verdict = unknownVerdict((err as Error).message ?? String(err));
  }
  print(renderCheck(verdict, format));
  return verdict.code;
}
