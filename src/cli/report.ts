import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { ConfigError } from "../config/config-error.js";
import { resolveConnection, type Flags } from "../config/connection-config.js";
import { parseDuration } from "../config/duration.js";
import type { VersionReport } from "../core/version-report.js";
import { connectionOptions } from "../nats/connect.js";
import { errorCauses } from "../nats/error-causes.js";
import { REPORT_SUBJECT } from "../nats/report-service.js";
import { renderReportTable } from "./report-table.js";

/** A failure the CLI reports as one line and exit code 1. */
export class CommandError extends Error {
  override name = "CommandError";
}

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

/** No responders, or a timeout: nobody serves the endpoint (nats.js wraps the cause). */
function isUnanswered(err: unknown): boolean {
  return [...errorCauses(err)].some((e) => /no ?responders|timeout/i.test(`${e.name} ${e.message}`));
}

/** One request to the service on an open connection; a micro error, no responder or timeout is a CommandError. */
export type Ask = (subject: string, body: string) => Promise<Msg>;

/**
 * Connects once, lets `use` ask the running service as often as it needs, and closes. A micro
 * error, no responder or a connection failure is a CommandError with one line.
 */
export async function withService<T>(flags: Flags, use: (ask: Ask) => Promise<T>, reconnect = false): Promise<T> {
  const conn = resolveConnection("", flags, process.env);
  const timeout = requestTimeout(flags);
  let nc: NatsConnection;
  try {
    nc = await connect({ ...connectionOptions(conn, "version-monitor-cli"), maxReconnectAttempts: reconnect ? -1 : 0, waitOnFirstConnect: false, timeout });
  } catch (err) {
    throw new CommandError(`cannot connect to ${conn.servers.join(",")}: ${(err as Error).message}`);
  }
  const ask: Ask = async (subject, body) => {
    const msg = await nc.request(subject, body, { timeout }).catch((err: unknown) => {
      if (isUnanswered(err)) {
        throw new CommandError(`no version-monitor service answered on ${subject} at ${conn.servers.join(",")} (is "nats-version-monitor serve" running?)`);
      }
      throw new CommandError(`request failed: ${(err as Error).message}`);
    });
    const error = msg.headers?.get("Nats-Service-Error");
    if (error) throw new ServiceError(`service error ${msg.headers?.get("Nats-Service-Error-Code")}: ${error}`);
    return msg;
  };
  try {
    return await use(ask);
  } finally {
    await nc.close();
  }
}

/** The service answered with a micro error: the request itself is wrong, asking again will not help. */
export class ServiceError extends CommandError {
  override name = "ServiceError";
}

function requestTimeout(flags: Flags): number {
  return typeof flags["timeout"] === "string" ? parseDuration(flags["timeout"], "--timeout") : 5000;
}

/** Sends one request to a running service and returns the answer (see withService). */
export function askService(flags: Flags, subject: string, body: string): Promise<Msg> {
  return withService(flags, (ask) => ask(subject, body));
}

/** Asks a running service for the report; prints a table, or the raw JSON with --json. */
export async function report(flags: Flags, print: (text: string) => void): Promise<number> {
  const msg = await askService(flags, REPORT_SUBJECT, reportRequestBody(flags));
  print(flags["json"] ? msg.string() : renderReportTable(msg.json<VersionReport>()));
  return 0;
}
