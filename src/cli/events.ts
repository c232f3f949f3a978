import type { Flags } from "../config/connection-config.js";
import type { HistoryPage } from "../nats/event-stream.js";
import { renderEventTimeline } from "./event-timeline.js";
import { positiveInt } from "./report.js";
import { askService } from "./service-request.js";
import { EVENTS_SUBJECT } from "./subjects.js";

export function eventsRequestBody(flags: Flags): string {
  const str = (k: string) => (typeof flags[k] === "string" ? (flags[k] as string) : undefined);
  const body = {
    ...(str("scope") !== undefined ? { scope: str("scope") } : {}),
    ...(str("cluster") !== undefined ? { cluster: str("cluster") } : {}),
    ...(str("type") !== undefined ? { type: str("type") } : {}),
    ...(flags["limit"] !== undefined ? { limit: positiveInt(flags["limit"], "limit") } : {}),
    ...(flags["page"] !== undefined ? { page: positiveInt(flags["page"], "page") } : {}),
  };
  return Object.keys(body).length === 0 ? "" : JSON.stringify(body);
}

/** Asks a running service for the event history; prints a timeline, or the raw JSON with --json. */
export async function events(flags: Flags, print: (text: string) => void): Promise<number> {
  const msg = await askService(flags, EVENTS_SUBJECT, eventsRequestBody(flags));
  print(flags["json"] ? msg.string() : renderEventTimeline(msg.json<HistoryPage>()));
  return 0;
}
