import { ConfigError } from "../config/config-error.js";
import type { Flags } from "../config/connection-config.js";
import type { VersionReport } from "../core/version-report.js";
import { renderReportTable } from "./report-table.js";
import { askService } from "./service-request.js";
import { REPORT_SUBJECT } from "./subjects.js";

export function positiveInt(v: string | boolean | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isInteger(n) || n < 1) throw new ConfigError(`--${flag}: must be a positive integer`);
  return n;
}

export function reportRequestBody(flags: Flags): string {
  const str = (k: string) => (typeof flags[k] === "string" ? (flags[k] as string) : undefined);
  const body = {
    ...(str("cluster") !== undefined ? { cluster: str("cluster") } : {}),
    ...(str("server-name") !== undefined ? { server: str("server-name") } : {}),
    ...(flags["page"] !== undefined ? { page: positiveInt(flags["page"], "page") } : {}),
    ...(flags["page-size"] !== undefined ? { page_size: positiveInt(flags["page-size"], "page-size") } : {}),
  };
  return Object.keys(body).length === 0 ? "" : JSON.stringify(body);
}

/** Asks a running service for the report; prints a table, or the raw JSON with --json. */
export async function report(flags: Flags, print: (text: string) => void): Promise<number> {
  const msg = await askService(flags, REPORT_SUBJECT, reportRequestBody(flags));
  print(flags["json"] ? msg.string() : renderReportTable(msg.json<VersionReport>()));
  return 0;
}
