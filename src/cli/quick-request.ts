import { connect, type Socket } from "node:net";

/**
 * One request and its reply on a fresh plain TCP connection, speaking the few verbs of the NATS
 * client protocol it needs (INFO, CONNECT, PING/PONG, SUB, PUB, MSG/HMSG, -ERR). The CLI commands
 * that ask the service once (`report`, `check`, `events`, `upgrade status`) use it because loading
 * nats.js costs more than the whole request (see BENCHMARKS.md, "CLI start-up"); they fall back to
 * nats.js for everything it does not do: TLS (asked for by the flags or by the server), creds and
 * nkey authentication, credentials inside URLs, websockets. Servers are tried in the given order;
 * the next one only when the connection itself fails.
 */
export interface QuickRequest {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** The connection's name, as `nats server report connections` shows it. */
  readonly name: string;
  readonly inboxPrefix: string;
  /** For the connection (until the server confirms it), and again for the reply. */
  readonly timeoutMs: number;
  readonly subject: string;
  readonly body: string;
}

/** The reply: its payload, and its header block when it has one. */
export interface QuickReply {
  readonly data: Buffer;
  /** The status of a header-only reply (`NATS/1.0 503`: no responders), when there is one. */
  readonly status?: number;
  /** Header values by lower-cased name. */
  readonly headers: ReadonlyMap<string, string>;
}

/** The server wants TLS: only nats.js can go on from here. */
export class NeedsFullClient extends Error {
  override name = "NeedsFullClient";
}

/** The connection failed, or the server refused it (its reason as the message). */
export class QuickConnectError extends Error {
  override name = "QuickConnectError";
}

/** Connected, but the request failed: a protocol error from the server, or no reply in time. */
export class QuickRequestError extends Error {
  override name = "QuickRequestError";
  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

/** host and port of a `nats://host:port` or `host:port` URL; undefined for anything the quick path leaves to nats.js. */
export function plainServer(url: string): { host: string; port: number } | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `nats://${url}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (u.protocol !== "nats:" || u.username !== "" || u.password !== "" || (u.pathname !== "" && u.pathname !== "/")) return undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  return host === "" ? undefined : { host, port: u.port === "" ? 4222 : Number(u.port) };
}

const CRLF = "\r\n";

function parseHeaders(block: Buffer): { status?: number; headers: Map<string, string> } {
  const [first = "", ...lines] = block.toString("utf8").split(CRLF);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const status = /^NATS\/1\.0\s+(\d{3})/.exec(first)?.[1];
  return status !== undefined ? { status: Number(status), headers } : { headers };
}

/** The text of a `-ERR 'reason'` line. */
const errText = (line: string) => line.slice(4).trim().replace(/^'(.*)'$/, "$1");

/** One exchange on one socket; resolves with the reply, rejects with one of the errors above. */
function exchange(socket: Socket, r: QuickRequest): Promise<QuickReply> {
  return new Promise<QuickReply>((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    let phase: "opening" | "connecting" | "connected" | "done" = "opening";
    // Unique, not secret (whoever may subscribe to the prefix reads replies whatever the token): so
    // no node:crypto, whose loading costs more than this whole exchange.
    const inbox = `${r.inboxPrefix}.${Date.now().toString(36)}${Math.random().toString(36).slice(2)}${process.pid.toString(36)}`;
    let timer = setTimeout(() => fail(new QuickConnectError("timed out")), r.timeoutMs);
    const fail = (err: Error) => {
      if (phase === "done") return;
      phase = "done";
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const done = (reply: QuickReply) => {
      phase = "done";
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const onInfo = (json: string) => {
      if (phase !== "opening") return; // a later INFO: cluster changes, nothing to do
      let info: Record<string, unknown>;
      try {
        info = JSON.parse(json) as Record<string, unknown>;
      } catch {
        return fail(new QuickConnectError("the server's INFO is not JSON"));
      }
      if (info["tls_required"] === true) return fail(new NeedsFullClient("the server requires TLS"));
      phase = "connecting";
      const connectOptions = {
        verbose: false,
        pedantic: false,
        protocol: 1,
        headers: true,
        no_responders: true,
        lang: "nats-version-monitor",
        version: "cli",
        name: r.name,
        ...(r.user !== undefined ? { user: r.user, pass: r.password ?? "" } : {}),
        ...(r.token !== undefined ? { auth_token: r.token } : {}),
      };
      const body = Buffer.from(r.body, "utf8");
      // Pipelined: the server handles them in order, so the subscription exists before the request.
      socket.write(`CONNECT ${JSON.stringify(connectOptions)}${CRLF}PING${CRLF}SUB ${inbox} 1${CRLF}PUB ${r.subject} ${inbox} ${body.length}${CRLF}`);
      socket.write(Buffer.concat([body, Buffer.from(CRLF)]));
    };
    /** Handles what is complete at the front of the buffer; false when more bytes are needed. */
    const step = (): boolean => {
      const eol = buffer.indexOf(CRLF);
      if (eol < 0) return false;
      const line = buffer.subarray(0, eol).toString("latin1");
      const verb = line.slice(0, line.indexOf(" ") < 0 ? line.length : line.indexOf(" ")).toUpperCase();
      if (verb === "MSG" || verb === "HMSG") {
        const parts = line.split(" ");
        const total = Number(parts.at(-1));
        const headerSize = verb === "HMSG" ? Number(parts.at(-2)) : 0;
        if (!Number.isInteger(total) || !Number.isInteger(headerSize) || headerSize > total) {
          fail(new QuickRequestError(`cannot read the server's ${verb} line`));
          return false;
        }
        const start = eol + 2;
        if (buffer.length < start + total + 2) return false;
        const frame = buffer.subarray(start, start + total);
        buffer = buffer.subarray(start + total + 2);
        if (parts[2] !== "1") return true;
        const { status, headers } = headerSize > 0 ? parseHeaders(frame.subarray(0, headerSize)) : { headers: new Map<string, string>() };
        done({ data: Buffer.from(frame.subarray(headerSize)), headers, ...(status !== undefined ? { status } : {}) });
        return false;
      }
      buffer = buffer.subarray(eol + 2);
      if (verb === "INFO") onInfo(line.slice(5));
      else if (verb === "PING") socket.write(`PONG${CRLF}`);
      else if (verb === "PONG" && phase === "connecting") {
        // Connected: from here the reply has its own time limit.
        phase = "connected";
        clearTimeout(timer);
        timer = setTimeout(() => fail(new QuickRequestError("timed out waiting for the reply", true)), r.timeoutMs);
      } else if (verb === "-ERR") fail(phase === "connected" ? new QuickRequestError(errText(line)) : new QuickConnectError(errText(line)));
      return phase !== "done";
    };
    socket.on("data", (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (step());
    });
    socket.on("error", (err: Error) => {
      const why = err.message.replace(/^connect /, ""); // "connect ECONNREFUSED 127.0.0.1:4222"
      fail(phase === "connected" ? new QuickRequestError(why) : new QuickConnectError(why));
    });
    socket.on("close", () => fail(phase === "connected" ? new QuickRequestError("the server closed the connection") : new QuickConnectError("the server closed the connection")));
  });
}

/**
 * Sends the request to the first server that takes the connection and returns its reply. Throws
 * NeedsFullClient (the server wants TLS), QuickConnectError (no server took the connection, or
 * one refused the credentials: the last reason) or QuickRequestError.
 */
export async function quickRequest(r: QuickRequest): Promise<QuickReply> {
  let last: Error = new QuickConnectError("no server given");
  for (const url of r.servers) {
    const server = plainServer(url);
    if (!server) throw new NeedsFullClient(`${url} is not a plain nats:// URL`);
    const socket = connect({ host: server.host, port: server.port, noDelay: true });
    try {
      return await exchange(socket, r);
    } catch (err) {
      // A refused credential is the same on every server; a failed connection may not be.
      if (!(err instanceof QuickConnectError) || /authori[sz]ation|authentication/i.test(err.message)) throw err;
      last = err;
    }
  }
  throw last;
}
