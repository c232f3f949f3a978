/**
 * An error and every `cause` behind it, outermost first: nats.js and the JetStream client wrap the
 * error that says what happened (no responders, a permission violation, an API error code).
 */
export function* errorCauses(err: unknown): Generator<Error & { code?: unknown }> {
  for (let e = err as (Error & { code?: unknown }) | undefined; e; e = e.cause as typeof e) yield e;
}
