import { ConfigError } from "./config-error.js";
import { resolveConnection, type ConnectionConfig, type Flags } from "./connection-config.js";
import { parseDuration } from "./duration.js";
import { parseListenAddress, type ListenAddress } from "./listen-address.js";
import { defaultMismatchPolicy, type MismatchPolicy } from "../core/mismatch-policy.js";

export interface MonitorConfig {
  /** Application account: KV bucket, endpoints, events. */
  readonly app: ConnectionConfig;
  /** System account: $SYS advertisements and pings. */
  readonly sys: ConnectionConfig;
  readonly bucket: string;
  /** "auto": 3 when the cluster has 3+ JetStream servers, else 1. */
  readonly replicas: number | "auto";
  readonly pollIntervalMs: number;
  readonly offlineAfterMs: number;
  /** An unchanged server's last-seen time is persisted at most this often. */
  readonly lastSeenFlushMs: number;
  /** A server not heard from for this long is dropped from memory and the bucket. */
  readonly forgetAfterMs: number;
  readonly policy: MismatchPolicy;
  /** How often time-driven transitions (stalled, stale, offline servers) are checked. */
  readonly evaluateIntervalMs: number;
  readonly events: EventsConfig;
  /** At start, wait (warning every poll interval) for servers that do not answer yet, instead of exiting 2. */
  readonly waitForServers: boolean;
  readonly logLevel: string;
  /** The Prometheus /metrics endpoint; absent unless asked for (--metrics-listen). */
  readonly metrics?: MetricsConfig;
}

/** The Prometheus endpoint: where it listens, and how many per-server and per-scope series it shows at most. */
export interface MetricsConfig {
  readonly listen: ListenAddress;
  /** The flag or environment variable the address came from, for messages. */
  readonly setting: string;
  /** Servers beyond this many get no per-server series (they are counted instead). */
  readonly maxServers: number;
  /** Scopes (the system, each cluster) beyond this many get no per-scope series (they are counted instead). */
  readonly maxScopes: number;
}

/** The event stream: stores each event once, keeps the history, republishes onto versions.mismatch(.>). */
export interface EventsConfig {
  readonly stream: string;
  readonly maxAgeMs: number;
  readonly maxMsgs: number;
  /** Offers of one event id within this window are stored once; the stream's last event per subject covers the rest. */
  readonly duplicateWindowMs: number;
  /** An undelivered event another instance wrote is delivered by this one after this long. */
  readonly handoverMs: number;
}

export function defaultMonitorSettings() {
  return {
    bucket: "version-monitor",
    replicas: "auto" as const,
    pollIntervalMs: 30_000,
    offlineAfterMs: 120_000,
    lastSeenFlushMs: 300_000,
    forgetAfterMs: 7 * 86_400_000,
    evaluateIntervalMs: 5_000,
    eventsStream: "version-monitor-events",
    eventsMaxAgeMs: 90 * 86_400_000,
    eventsMaxMsgs: 100_000,
    eventsDuplicateWindowMs: 3_600_000,
    handoverMs: 2_000,
    logLevel: "info",
    metricsMaxServers: 10_000,
    metricsMaxScopes: 1_000,
  };
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function str(flags: Flags, env: NodeJS.ProcessEnv, flag: string, envName: string): { name: string; value: string } | undefined {
  const f = flags[flag];
  if (typeof f === "string") return { name: `--${flag}`, value: f };
  const e = env[envName];
  return e !== undefined && e !== "" ? { name: envName, value: e } : undefined;
}

function bool(flags: Flags, env: NodeJS.ProcessEnv, flag: string, envName: string): boolean {
  if (flags[flag] === true) return true;
  const e = env[envName];
  if (e === undefined || e === "") return false;
  if (/^(true|1|yes)$/i.test(e)) return true;
  if (/^(false|0|no)$/i.test(e)) return false;
  throw new ConfigError(`${envName}: ${JSON.stringify(e)} is not true or false`);
}

/** Builds and validates the service's configuration; throws ConfigError naming the bad value. */
export function resolveMonitorConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  const d = defaultMonitorSettings();
  const app = resolveConnection("", flags, env);
  const sys = resolveConnection("sys", flags, env, app);

  const bucket = str(flags, env, "bucket", "VERSION_MONITOR_BUCKET");
  if (bucket && !/^[-\w]+$/.test(bucket.value)) {
    throw new ConfigError(`${bucket.name}: ${JSON.stringify(bucket.value)} is not a KV bucket name (letters, digits, - and _)`);
  }
  const replicasText = str(flags, env, "replicas", "VERSION_MONITOR_REPLICAS");
  let replicas: number | "auto" = d.replicas;
  if (replicasText && replicasText.value !== "auto") {
    const n = Number(replicasText.value);
    if (!Number.isInteger(n) || n < 1 || n > 5) throw new ConfigError(`${replicasText.name}: replicas must be auto or 1 to 5`);
    replicas = n;
  }
  const duration = (flag: string, envName: string, fallback: number, min: number) => {
    const v = str(flags, env, flag, envName);
    if (!v) return fallback;
    const ms = parseDuration(v.value, v.name);
    if (ms < min) throw new ConfigError(`${v.name}: must be at least ${min}ms`);
    return ms;
  };
  const logLevel = str(flags, env, "log-level", "LOG_LEVEL");
  if (logLevel && !logLevels.includes(logLevel.value)) {
    throw new ConfigError(`${logLevel.name}: ${JSON.stringify(logLevel.value)} is not one of ${logLevels.join(", ")}`);
  }
  const stream = str(flags, env, "events-stream", "VERSION_MONITOR_EVENTS_STREAM");
  if (stream && (!/^[-\w]+$/.test(stream.value) || stream.value === "versions")) {
    throw new ConfigError(`${stream.name}: ${JSON.stringify(stream.value)} is not a usable stream name (letters, digits, - and _; not "versions")`);
  }
  const maxMsgsText = str(flags, env, "events-max-msgs", "VERSION_MONITOR_EVENTS_MAX_MSGS");
  const maxMsgs = maxMsgsText ? Number(maxMsgsText.value) : d.eventsMaxMsgs;
  if (!Number.isInteger(maxMsgs) || maxMsgs < 100) throw new ConfigError(`${maxMsgsText!.name}: must be a whole number of at least 100`);
  const count = (flag: string, envName: string, fallback: number) => {
    const v = str(flags, env, flag, envName);
    if (!v) return fallback;
    const n = /^\d+$/.test(v.value.trim()) ? Number(v.value) : Number.NaN;
    if (!(n >= 1 && n <= 1_000_000)) throw new ConfigError(`${v.name}: ${JSON.stringify(v.value)} is not a whole number from 1 to 1000000`);
    return n;
  };
  const metricsListen = str(flags, env, "metrics-listen", "VERSION_MONITOR_METRICS_LISTEN");
  const metricsMaxServers = count("metrics-max-servers", "VERSION_MONITOR_METRICS_MAX_SERVERS", d.metricsMaxServers);
  const metricsMaxScopes = count("metrics-max-scopes", "VERSION_MONITOR_METRICS_MAX_SCOPES", d.metricsMaxScopes);
  const pollIntervalMs = duration("poll-interval", "VERSION_MONITOR_POLL_INTERVAL", d.pollIntervalMs, 100);
  const cfg: MonitorConfig = {
    app,
    sys,
    bucket: bucket?.value ?? d.bucket,
    replicas,
    pollIntervalMs,
    offlineAfterMs: duration("offline-after", "VERSION_MONITOR_OFFLINE_AFTER", Math.max(d.offlineAfterMs, 3 * pollIntervalMs), 100),
    lastSeenFlushMs: duration("last-seen-flush", "VERSION_MONITOR_LAST_SEEN_FLUSH", d.lastSeenFlushMs, 100),
    forgetAfterMs: duration("forget-after", "VERSION_MONITOR_FORGET_AFTER", d.forgetAfterMs, 1000),
    policy: Object.freeze({
      maxMismatchMs: duration("max-mismatch", "VERSION_MONITOR_MAX_MISMATCH", defaultMismatchPolicy.maxMismatchMs, 1000),
      leafMaxMismatchMs: duration("leaf-max-mismatch", "VERSION_MONITOR_LEAF_MAX_MISMATCH", defaultMismatchPolicy.leafMaxMismatchMs!, 1000),
      activityWindowMs: duration("activity-window", "VERSION_MONITOR_ACTIVITY_WINDOW", defaultMismatchPolicy.activityWindowMs, 1000),
    }),
    evaluateIntervalMs: duration("evaluate-interval", "VERSION_MONITOR_EVALUATE_INTERVAL", d.evaluateIntervalMs, 100),
    events: Object.freeze({
      stream: stream?.value ?? d.eventsStream,
      maxAgeMs: duration("events-max-age", "VERSION_MONITOR_EVENTS_MAX_AGE", d.eventsMaxAgeMs, 60_000),
      maxMsgs,
      duplicateWindowMs: duration("events-duplicate-window", "VERSION_MONITOR_EVENTS_DUPLICATE_WINDOW", d.eventsDuplicateWindowMs, 1000),
      handoverMs: duration("handover-after", "VERSION_MONITOR_HANDOVER_AFTER", d.handoverMs, 100),
    }),
    waitForServers: bool(flags, env, "wait-for-servers", "VERSION_MONITOR_WAIT_FOR_SERVERS"),
    logLevel: logLevel?.value ?? d.logLevel,
    ...(metricsListen
      ? {
          metrics: Object.freeze({
            listen: parseListenAddress(metricsListen.value, metricsListen.name),
            setting: metricsListen.name,
            maxServers: metricsMaxServers,
            maxScopes: metricsMaxScopes,
          }),
        }
      : {}),
  };
  if (cfg.forgetAfterMs <= cfg.offlineAfterMs) {
    throw new ConfigError(`--forget-after (${cfg.forgetAfterMs}ms) must be longer than --offline-after (${cfg.offlineAfterMs}ms)`);
  }
  if (cfg.events.duplicateWindowMs > cfg.events.maxAgeMs) {
    throw new ConfigError(`--events-duplicate-window (${cfg.events.duplicateWindowMs}ms) must not be longer than --events-max-age (${cfg.events.maxAgeMs}ms)`);
  }
  return Object.freeze(cfg);
}
