import { errors, type NatsConnection } from "@nats-io/nats-core";

/**
 * Resolves with the server's permission violation for `subject` after `act` runs, or with
 * undefined when there is none (the action was allowed). The server answers a refused PUB or SUB
 * with -ERR before it answers the PING that follows, so after a flush the answer is in: no timer.
 */
export async function permissionError(
  nc: NatsConnection,
  subject: string,
  act: () => void,
): Promise<InstanceType<typeof errors.PermissionViolationError> | undefined> {
  const statuses = nc.status();
  const seen = (async () => {
    for await (const s of statuses) {
      if (s.type === "error" && s.error instanceof errors.PermissionViolationError && s.error.subject === subject) return s.error;
    }
    return undefined;
  })();
  act();
  await nc.flush().catch(() => undefined);
  // The status iterator hands the -ERR over on its own turn: let it run, then look.
  await new Promise((r) => setImmediate(r));
  const result = await Promise.race([seen, Promise.resolve(undefined)]);
  // nats.js' status iterator can be stopped, though its type does not say so.
  (statuses as unknown as { stop?: () => void }).stop?.();
  return result;
}
