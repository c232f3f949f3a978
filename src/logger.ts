import pino, { type DestinationStream, type Logger } from "pino";

/**
 * Structured JSON logs. Secrets are never passed to the logger, and the usual places a secret could
 * hide are redacted anyway, in case a library error carries connection options.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: "nats-version-monitor",
      level,
      redact: {
        paths: ["*.pass", "*.password", "*.token", "*.creds", "*.seed", "*.nkey", "*.authenticator", "options.pass", "options.token"],
        censor: "[redacted]",
      },
    },
    destination ?? pino.destination(1),
  );
}
