import { resolveConnection, type Flags } from "../config/connection-config.js";
import { parseDuration } from "../config/duration.js";
import { cannotConnect, CommandError, serviceError, unanswered } from "./command-error.js";
import { NeedsFullClient, QuickConnectError, quickRequest, QuickRequestError } from "./quick-request.js";
import { INBOX_PREFIX } from "./subjects.js";

/** A reply of the service; a nats.js Msg is one. */
export interface Reply {
  readonly data: Uint8Array;
  string(): string;
  json<T>(): T;
}

/** `--timeout` (default 5 s): for the connection, and again for each request. */
export function requestTimeout(flags: Flags): number {
  return typeof flags["timeout"] === "string" ? parseDuration(flags["timeout"], "--timeout") : 5000;
}

const textReply = (data: Buffer): Reply => ({
  data,
  string: () => data.toString("utf8"),
  json: <T>() => JSON.parse(data.toString("utf8")) as T,
});

/**
 * Sends one request to the running service and returns its answer. A micro error is a
 * ServiceError; no responder, no answer in time or a connection that fails is a CommandError with
 * one line. Plain connections (user and password, a token, or none) go through the quick path
 * (quick-request.ts) and never load nats.js; TLS, creds and nkeys go through nats.js.
 */
export async function askService(flags: Flags, subject: string, body: string): Promise<Reply> {
  const conn = resolveConnection("", flags, process.env);
  const timeoutMs = requestTimeout(flags);
  if (conn.credsFile === undefined && conn.nkeySeedFile === undefined && conn.tls === undefined) {
    try {
      const r = await quickRequest({
        servers: conn.servers,
        ...(conn.user !== undefined ? { user: conn.user } : {}),
        ...(conn.password !== undefined ? { password: conn.password } : {}),
        ...(conn.token !== undefined ? { token: conn.token } : {}),
        name: "version-monitor-cli",
        inboxPrefix: INBOX_PREFIX,
        timeoutMs,
        subject,
        body,
      });
      if (r.status === 503) throw unanswered(subject, conn.servers);
      const error = r.headers.get("nats-service-error");
      if (error) throw serviceError(r.headers.get("nats-service-error-code"), error);
      if (r.status !== undefined && r.status >= 400) throw new CommandError(`request failed: status ${r.status}`);
      return textReply(r.data);
    } catch (err) {
      if (err instanceof QuickConnectError) throw cannotConnect(conn.servers, err.message);
      if (err instanceof QuickRequestError) throw err.timedOut ? unanswered(subject, conn.servers) : new CommandError(`request failed: ${err.message}`);
      if (!(err instanceof NeedsFullClient)) throw err;
    }
  }
  const { withService } = await import("./nats-service.js");
  return withService(flags, (ask) => ask(subject, body));
}
