import { errors, type NatsConnection } from "@nats-io/nats-core";

/**
 * Resolves with the server's permission violation for `subject` after `act` runs, or with
 * undefined when none arrives within `ms` (the action was allowed).
 */
export async function permissionError(
  nc: NatsConnection,
  subject: string,
  act: () => void,
  ms = 1500,
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
  const timer = new Promise<undefined>((r) => setTimeout(() => r(undefined), ms));
  const result = await Promise.race([seen, timer]);
  // nats.js' status iterator can be stopped, though its type does not say so.
  (statuses as unknown as { stop?: () => void }).stop?.();
  return result;
}
