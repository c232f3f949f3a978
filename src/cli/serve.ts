import type { Flags } from "../config/connection-config.js";
import { resolveMonitorConfig } from "../config/monitor-config.js";
import { createLogger } from "../logger.js";
import { VersionMonitor } from "../monitor.js";

/** Runs the service until SIGINT/SIGTERM, then drains and exits 0. */
export async function serve(flags: Flags): Promise<number> {
  const config = resolveMonitorConfig(flags, process.env);
  const log = createLogger(config.logLevel);
  const monitor = await VersionMonitor.start({ config, log });
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
