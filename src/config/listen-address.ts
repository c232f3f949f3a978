import { isIP } from "node:net";
import { ConfigError } from "./config-error.js";

/** Where an HTTP listener binds. An empty host means every interface. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** As the operator wrote it, for messages. */
  readonly text: string;
}

/** A DNS name: dot-separated labels of letters, digits and inner hyphens. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Parses `HOST:PORT`, `:PORT` (every interface) or `[IPV6]:PORT`, as Go services and
 * prometheus-nats-exporter take it. `what` names the setting in the message of a bad value.
 */
export function parseListenAddress(text: string, what: string): ListenAddress {
  const bad = (why: string) => new ConfigError(`${what}: ${JSON.stringify(text)} ${why} (use HOST:PORT or :PORT, e.g. 127.0.0.1:9775 or :9775)`);
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(text.trim());
  if (!m) throw bad("is not a listen address");
  const host = m[1] ?? m[2] ?? "";
  if (m[1] !== undefined && isIP(host) !== 6) throw bad(`has ${JSON.stringify(host)} in brackets, which is not an IPv6 address`);
  if (m[1] === undefined && host !== "" && isIP(host) === 0 && !HOSTNAME.test(host)) throw bad(`has ${JSON.stringify(host)}, which is not a host name or IP address`);
  const portText = m[3] ?? "";
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) throw bad(`has port ${JSON.stringify(portText)}, which is not a port from 1 to 65535`);
  return { host, port, text: text.trim() };
}
