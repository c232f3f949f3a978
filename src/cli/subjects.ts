// The service's subjects and the inbox prefix of its users, as the CLI needs them. They are
// defined again here, not imported from src/nats/, because importing those modules loads
// @nats-io/services and the whole client at start; test/unit/check-verdict.test.ts checks that
// both definitions agree.

export const REPORT_SUBJECT = "versions.report";
export const EVENTS_SUBJECT = "versions.events";
export const UPGRADE_SUBJECT = "versions.upgrade";
/** Inboxes of the monitor's connections (src/nats/connect.ts INBOX_PREFIX). */
export const INBOX_PREFIX = "_INBOX.version-monitor";
