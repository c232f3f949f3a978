import type { NatsConnection } from "@nats-io/nats-core";
import { Svcm, type Service, type ServiceMsg } from "@nats-io/services";
import type { Logger } from "pino";
import { packageInfo } from "../package-info.js";
import { RequestError } from "./report-request.js";
import { EndpointErrors } from "./endpoint-errors.js";

export const SERVICE_NAME = "version-monitor";
export const REPORT_SUBJECT = "versions.report";
export const EVENTS_SUBJECT = "versions.events";
export const UPGRADE_SUBJECT = "versions.upgrade";

export interface ReportServiceOptions {
  readonly log: Logger;
  /** Answers one request body with the encoded reply; throws RequestError for bad requests. */
  readonly report: (body: Uint8Array) => Uint8Array;
  /** Answers a `versions.events` body with the encoded page of history; throws RequestError for bad requests. */
  readonly events: (body: Uint8Array) => Promise<Uint8Array>;
  /** Answers a `versions.upgrade` body with the encoded verdict; throws RequestError for bad requests. */
  readonly upgrade: (body: Uint8Array) => Promise<Uint8Array>;
  /** Extra figures for `nats micro stats` (ingest counters, KV writes). */
  readonly stats: () => Record<string, unknown>;
}

/**
 * The micro service: `versions.report` plus the $SRV.PING/INFO/STATS verbs that
 * `nats micro ls|info|stats` read. All instances share the default micro queue group, so one of
 * them answers each request.
 */
export async function startReportService(nc: NatsConnection, opts: ReportServiceOptions): Promise<Service> {
  let errors: EndpointErrors | undefined;
  // nats.js asks the stats handler once per endpoint for one $SRV.STATS request: gather the
  // figures once per turn of the event loop, not once per endpoint.
  let figures: Record<string, unknown> | undefined;
  const stats = (): Record<string, unknown> => {
    if (figures === undefined) {
      figures = opts.stats();
      setImmediate(() => (figures = undefined));
    }
    return figures;
  };
  const service = await new Svcm(nc).add({
    name: SERVICE_NAME,
    version: packageInfo.version,
    description: "Reports nats-server version mismatches in a cluster or super-cluster: rolling upgrade or stale, gap, action",
    metadata: { repository: "nats-version-monitor" },
    statsHandler: () => Promise.resolve(stats()),
  });
  service.addEndpoint("report", {
    subject: REPORT_SUBJECT,
    metadata: {
      description: "Version report: target version, groups, outliers with gap grades, per-cluster view, server details",
      request: 'empty, or JSON {"cluster"?: string, "server"?: string, "page"?: int, "page_size"?: int}',
      response: "application/json",
    },
    handler: (err, msg) => void answer(err, msg, "report", opts.report, opts.log, errors),
  });
  service.addEndpoint("events", {
    subject: EVENTS_SUBJECT,
    metadata: {
      description: "Mismatch event history from the event stream, newest first",
      request: 'empty, or JSON {"scope"?: "system"|"cluster:<name>", "cluster"?: string, "type"?: string, "limit"?: int, "page"?: int}',
      response: "application/json",
    },
    handler: (err, msg) => void answer(err, msg, "events", opts.events, opts.log, errors),
  });
  service.addEndpoint("upgrade", {
    subject: UPGRADE_SUBJECT,
    metadata: {
      description: "Upgrade gate: per cluster ready, wait or blocked to take the next server down, why, which server next, the incremental path",
      request: 'empty, or JSON {"cluster"?: string}',
      response: "application/json",
    },
    handler: (err, msg) => void answer(err, msg, "upgrade", opts.upgrade, opts.log, errors),
  });
  // Counts every error reply; built once the endpoints exist (the handlers run only after that).
  errors = new EndpointErrors(service);
  return service;
}

async function answer(err: Error | null, msg: ServiceMsg, what: string, reply: (body: Uint8Array) => Uint8Array | Promise<Uint8Array>, log: Logger, errors: EndpointErrors | undefined): Promise<void> {
  if (err) {
    log.error({ err: err.message }, `${what} endpoint stopped`);
    return;
  }
  try {
    msg.respond(await reply(msg.data));
  } catch (e) {
    const [code, message] = e instanceof RequestError ? [e.code, e.message] : [500, `internal error while answering ${what}`];
    if (!(e instanceof RequestError)) log.error({ err: e }, `${what} failed`);
    errors?.count(what, message);
    msg.respondError(code, message);
  }
}
