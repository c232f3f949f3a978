import { ConfigError } from "../config/config-error.js";
import type { Flags } from "../config/connection-config.js";
import { resolveMonitorConfig } from "../config/monitor-config.js";
import { createLogger } from "../logger.js";
import { VersionMonitor } from "../monitor.js";

/** Runs the service until SIGINT/SIGTERM, then drains and exits 0. */
export async function serve(flags: Flags): Promise<number> {
  const config = resolveMonitorConfig(flags, process.env);
  const log = createLogger(config.logLevel);
  const afterRecordWrite = crashFailpoint(process.env[CRASH_FAILPOINT]);
  const monitor = await VersionMonitor.start({ config, log, ...(afterRecordWrite ? { afterRecordWrite } : {}) });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "signal received");
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await monitor.stop();
  return 0;
}

/**
 * Crash tests only: with this probability (0 to 1), the process kills itself with SIGKILL right
 * after one of its mismatch record writes landed and before its event is offered, the worst moment
 * for exactly-once delivery.
 */
export const CRASH_FAILPOINT = "VERSION_MONITOR_TEST_CRASH_AFTER_WRITE";

function crashFailpoint(value: string | undefined): (() => void) | undefined {
  if (value === undefined || value === "") return undefined;
  const p = Number(value);
  if (!(p >= 0 && p <= 1)) throw new ConfigError(`${CRASH_FAILPOINT}: ${JSON.stringify(value)} is not a probability between 0 and 1`);
  return () => {
    if (Math.random() < p) process.kill(process.pid, "SIGKILL");
  };
}
