import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { ConfigError } from "../config/config-error.js";
import type { MetricsConfig } from "../config/monitor-config.js";
import type { AdvisoryBook } from "../core/advisory-book.js";
import type { Fleet } from "../core/fleet.js";
import type { MismatchRecord } from "../core/mismatch-record.js";
import { metricSamples, type ServiceCounters } from "./metric-samples.js";
import { MetricsRegistry } from "./metrics-registry.js";

/** What the endpoint reads from the running service at every scrape; nothing is copied in between. */
export interface MetricsSources {
  readonly now: () => number;
  readonly fleet: Fleet;
  /** The mismatch tracker: each scope's decided record, and the scopes with a mismatch on record. */
  readonly mismatch: {
    record(scope: string): MismatchRecord | undefined;
    sinceByScope(): ReadonlyMap<string, number>;
  };
  /** The advisory dataset in use (it can change while the service runs). */
  readonly advisories: () => AdvisoryBook;
  readonly counters: () => ServiceCounters;
}

export interface MetricsEndpointOptions {
  readonly log: Logger;
  readonly sources: MetricsSources;
}

export const METRICS_PATH = "/metrics";

/** What a failed bind means, in words an operator acts on. */
const bindErrors: Record<string, string> = {
  EADDRINUSE: "the address is already in use (another process listens there)",
  EACCES: "permission denied (ports below 1024 need privileges)",
  EADDRNOTAVAIL: "no network interface of this machine has that address",
  ENOTFOUND: "the host name does not resolve",
  EAI_AGAIN: "the host name does not resolve (DNS did not answer)",
};

/**
 * The Prometheus endpoint: `GET /metrics` in the text format, every value computed from the
 * service's state at the moment of the scrape (see metric-samples.ts). Plain HTTP without
 * authentication, like prometheus-nats-exporter's: bind it to an address only Prometheus reaches.
 */
export class MetricsEndpoint {
  readonly #registry = new MetricsRegistry();
  #lastScrapeSeconds = 0;

  private constructor(
    private readonly server: Server,
    private readonly config: MetricsConfig,
    private readonly opts: MetricsEndpointOptions,
  ) {}

  /** Listens on the configured address; a bind that fails is a ConfigError naming the setting. */
  static async start(config: MetricsConfig, opts: MetricsEndpointOptions): Promise<MetricsEndpoint> {
    const server = createServer();
    const endpoint = new MetricsEndpoint(server, config, opts);
    server.on("request", (req, res) => void endpoint.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) => {
        const why = bindErrors[err.code ?? ""] ?? err.message;
        reject(new ConfigError(`${config.setting} ${config.listen.text}: cannot listen: ${why}`, { cause: err }));
      });
      // An empty host listens on every interface, as ":9775" asks.
      server.listen({ port: config.listen.port, ...(config.listen.host !== "" ? { host: config.listen.host } : {}) }, resolve);
    });
    server.on("error", (err) => opts.log.error({ err }, "metrics listener failed"));
    const { address, port } = endpoint.address;
    opts.log.info({ address, port, path: METRICS_PATH }, "metrics endpoint listening");
    return endpoint;
  }

  get address(): { address: string; port: number } {
    const a = this.server.address() as AddressInfo;
    return { address: a.address, port: a.port };
  }

  /** The exposition, as a scrape gets it. */
  async scrape(): Promise<string> {
    const started = performance.now();
    const { now, fleet, mismatch, advisories, counters } = this.opts.sources;
    const at = now();
    const book = advisories();
    const samples = metricSamples({
      now: at,
      servers: fleet.records(),
      isLive: (r) => fleet.isLive(r, at),
      mismatch: (scope) => mismatch.record(scope),
      openScopes: mismatch.sinceByScope().keys(),
      advisories: (version, go) => book.summary(version, go),
      counters: counters(),
      limits: this.config,
      lastScrapeSeconds: this.#lastScrapeSeconds,
    });
    // Rendering awaits only microtasks (prom-client's process metrics read /proc synchronously):
    // from start to here, the scrape holds the event loop.
    const text = await this.#registry.render(samples);
    this.#lastScrapeSeconds = (performance.now() - started) / 1000;
    return text;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== METRICS_PATH) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end(`not found: the metrics are at ${METRICS_PATH}\n`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" }).end("method not allowed\n");
      return;
    }
    try {
      const body = await this.scrape();
      res.writeHead(200, { "Content-Type": this.#registry.contentType });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (err) {
      this.opts.log.error({ err }, "computing the metrics failed");
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("internal error computing the metrics\n");
    }
  }

  /** Stops listening and closes open connections (Prometheus keeps them alive between scrapes). */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

/** Starts the endpoint when the configuration asks for one. */
export function startMetrics(config: MetricsConfig | undefined, opts: MetricsEndpointOptions): Promise<MetricsEndpoint | undefined> {
  return config ? MetricsEndpoint.start(config, opts) : Promise.resolve(undefined);
}
