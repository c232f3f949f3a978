import { readFileSync } from "node:fs";
import { credsAuthenticator, nkeyAuthenticator, type NatsConnection } from "@nats-io/nats-core";
import { connect, type NodeConnectionOptions } from "@nats-io/transport-node";
import type { ConnectionConfig } from "../config/connection-config.js";

/**
 * Inboxes of the monitor's connections live under this prefix, so that the least-privileged users
 * in nats-conf/ can be limited to their own replies instead of `_INBOX.>`.
 */
export const INBOX_PREFIX = "_INBOX.version-monitor";

/** Options for a connection that never gives up: the servers it watches restart under it. */
export function connectionOptions(c: ConnectionConfig, name: string): NodeConnectionOptions {
  return {
    servers: [...c.servers],
    name,
    inboxPrefix: INBOX_PREFIX,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    waitOnFirstConnect: false,
    // Every request otherwise captures two stack traces up front (where it was made, should it fail
    // or time out): a third of the main thread's time while 100,000 new servers were written to KV.
    // Errors still say what failed; the service logs what it was doing itself.
    noAsyncTraces: true,
    ...(c.user !== undefined ? { user: c.user, pass: c.password ?? "" } : {}),
    ...(c.token !== undefined ? { token: c.token } : {}),
    ...(c.credsFile !== undefined ? { authenticator: credsAuthenticator(readFileSync(c.credsFile)) } : {}),
    ...(c.nkeySeedFile !== undefined
      ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(readFileSync(c.nkeySeedFile, "utf8").trim())) }
      : {}),
    ...(c.tls ? { tls: { ...c.tls } } : {}),
  };
}

export function connectTo(c: ConnectionConfig, name: string): Promise<NatsConnection> {
  return connect(connectionOptions(c, name));
}
