/** A failure the CLI reports as one line and exit code 1 (`check`: UNKNOWN, exit 3). */
export class CommandError extends Error {
  override name = "CommandError";
}

/** The service answered with a micro error: the request itself is wrong, asking again will not help. */
export class ServiceError extends CommandError {
  override name = "ServiceError";
}

/** The servers were not reached, or refused the connection. */
export function cannotConnect(servers: readonly string[], why: string): CommandError {
  return new CommandError(`cannot connect to ${servers.join(",")}: ${why}`);
}

/** No responder, or no answer in time: nobody serves the endpoint. */
export function unanswered(subject: string, servers: readonly string[]): CommandError {
  return new CommandError(`no version-monitor service answered on ${subject} at ${servers.join(",")} (is "nats-version-monitor serve" running?)`);
}

/** A micro error reply (`Nats-Service-Error`, `Nats-Service-Error-Code`). */
export function serviceError(code: string | undefined, text: string): ServiceError {
  return new ServiceError(`service error ${code}: ${text}`);
}
