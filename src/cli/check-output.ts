import { CheckStatus, type CheckVerdict, type PerfDatum } from "../core/check-verdict.js";
import { renderColumns } from "./report-table.js";

/** How `check` prints its verdict. */
export const CheckFormat = { Nagios: "nagios", Json: "json", Text: "text" } as const;
export type CheckFormat = (typeof CheckFormat)[keyof typeof CheckFormat];
export const checkFormats: readonly string[] = Object.values(CheckFormat);

/** The check's name in its status line, as `nats server check` names its checks. */
export const CHECK_NAME = "VERSIONS";

const prefix: Readonly<Record<CheckStatus, string>> = { OK: "OK:", WARNING: "Warn:", CRITICAL: "Crit:", UNKNOWN: "Unknown:" };

/** A number as perf data carries it: whole numbers as they are, others to at most three decimals. */
const num = (n: number) => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(3))));

/** `name=value[unit][;warn[;crit]]`, the Nagios plugin API's performance data (and jsm.go's PerfDataItem). */
export function perfDatumText(p: PerfDatum): string {
  const name = /[\s=']/.test(p.name) ? `'${p.name.replace(/'/g, "''")}'` : p.name;
  const value = `${name}=${num(p.value)}${p.unit ?? ""}`;
  if (p.warn === undefined && p.crit === undefined) return value;
  return `${value};${p.warn === undefined ? "" : num(p.warn)}${p.crit === undefined ? "" : `;${num(p.crit)}`}`;
}

/** One line, no `|` (it starts the perf data), whatever a server or cluster name holds. */
const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, " ").replace(/\|/g, "/");

/**
 * The status line `nats server check` prints (jsm.go monitor.Result.renderNagios):
 * `STATUS NAME Crit:... Warn:... OK:... | perf data`.
 */
export function nagiosLine(v: CheckVerdict): string {
  const text = [CHECK_NAME, ...v.findings.map((f) => `${prefix[f.status]}${oneLine(f.text)}`)].join(" ");
  return v.perf.length === 0 ? `${v.status} ${text}` : `${v.status} ${text} | ${v.perf.map(perfDatumText).join(" ")}`;
}

const textsOf = (v: CheckVerdict, status: CheckStatus) => v.findings.filter((f) => f.status === status).map((f) => f.text);

/** One JSON object: status, exit code, message, the findings by status (natscli's keys), perf data. */
export function checkJson(v: CheckVerdict): string {
  return JSON.stringify({
    status: v.status,
    code: v.code,
    check_name: CHECK_NAME,
    message: v.findings.map((f) => f.text).join("; "),
    critical: textsOf(v, CheckStatus.Critical),
    warning: textsOf(v, CheckStatus.Warning),
    ok: textsOf(v, CheckStatus.Ok),
    unknown: textsOf(v, CheckStatus.Unknown),
    perf_data: v.perf.map((p) => ({
      name: p.name,
      value: p.value,
      ...(p.unit !== undefined ? { unit: p.unit } : {}),
      ...(p.warn !== undefined ? { warning: p.warn } : {}),
      ...(p.crit !== undefined ? { critical: p.crit } : {}),
    })),
  });
}

/** A few lines for people: the status, each finding, the figures. */
export function checkText(v: CheckVerdict): string {
  const figures = v.perf.map((p) => {
    const limits = [p.warn !== undefined ? `warning ${num(p.warn)}${p.unit ?? ""}` : "", p.crit !== undefined ? `critical ${num(p.crit)}${p.unit ?? ""}` : ""].filter((x) => x !== "");
    return `${p.name} ${num(p.value)}${p.unit ?? ""}${limits.length > 0 ? ` (${limits.join(", ")})` : ""}`;
  });
  return [
    `${CHECK_NAME}: ${v.status} (exit ${v.code})`,
    renderColumns(v.findings.map((f) => [`  ${f.status}`, f.text])),
    ...(figures.length > 0 ? [`  ${figures.join(", ")}`] : []),
  ].join("\n");
}

export function renderCheck(v: CheckVerdict, format: CheckFormat): string {
  return format === CheckFormat.Json ? checkJson(v) : format === CheckFormat.Text ? checkText(v) : nagiosLine(v);
}
