import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { resolveConnection, type Flags } from "../config/connection-config.js";
import { connectionOptions } from "../nats/connect.js";
import { errorCauses } from "../nats/error-causes.js";
import { cannotConnect, CommandError, serviceError, unanswered } from "./command-error.js";
import { requestTimeout } from "./service-request.js";

/** No responders, or a timeout: nobody serves the endpoint (nats.js wraps the cause). */
function isUnanswered(err: unknown): boolean {
  return [...errorCauses(err)].some((e) => /no ?responders|timeout/i.test(`${e.name} ${e.message}`));
}

/** One request to the service on an open connection; a micro error, no responder or timeout is a CommandError. */
export type Ask = (subject: string, body: string) => Promise<Msg>;

/**
 * Connects once with nats.js, lets `use` ask the running service as often as it needs, and
 * closes. A micro error, no responder or a connection failure is a CommandError with one line.
 * `upgrade wait` (which asks again and again, across restarts of servers) and the connections the
 * quick path does not speak (TLS, creds, nkeys) use it.
 */
export async function withService<T>(flags: Flags, use: (ask: Ask) => Promise<T>, reconnect = false): Promise<T> {
  const conn = resolveConnection("", flags, process.env);
  const timeout = requestTimeout(flags);
  let nc: NatsConnection;
  try {
    nc = await connect({ ...connectionOptions(conn, "version-monitor-cli"), maxReconnectAttempts: reconnect ? -1 : 0, waitOnFirstConnect: false, timeout });
  } catch (err) {
    throw cannotConnect(conn.servers, (err as Error).message);
  }
  const ask: Ask = async (subject, body) => {
    const msg = await nc.request(subject, body, { timeout }).catch((err: unknown) => {
      if (isUnanswered(err)) throw unanswered(subject, conn.servers);
      throw new CommandError(`request failed: ${(err as Error).message}`);
    });
    const error = msg.headers?.get("Nats-Service-Error");
    if (error) throw serviceError(msg.headers?.get("Nats-Service-Error-Code"), error);
    return msg;
  };
  try {
    return await use(ask);
  } finally {
    await nc.close();
  }
}
