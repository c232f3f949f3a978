import type { Service } from "@nats-io/services";

/** What @nats-io/services keeps per endpoint for `$SRV.STATS` (its NamedEndpointStatsImpl). */
interface EndpointStats {
  name: string;
  num_errors: number;
  last_error?: string;
}

/**
 * Error counts in `$SRV.STATS` that tell the truth. @nats-io/services counts an error only when an
 * endpoint's handler throws synchronously, so every error this service answers after an await (and
 * every 400 it answers with `respondError`) went uncounted; and it leaves `last_error` out until the
 * first counted error, while the micro schema (nats-io/jsm.go schemas/micro/v1/stats_response.json)
 * requires it. The library has no public way to count one, so this reaches its per-endpoint stats
 * objects; their shape is checked when the service starts (and by test/integration/micro-schemas.test.ts),
 * so a library that changes it fails loudly instead of counting nothing.
 */
export class EndpointErrors {
  readonly #stats = new Map<string, EndpointStats>();

  constructor(service: Service) {
    const handlers = (service as unknown as { handlers?: unknown }).handlers;
    if (!Array.isArray(handlers)) throw new Error("@nats-io/services: no endpoint list to count errors in (the library changed)");
    for (const h of handlers as { stats?: unknown }[]) {
      const stats = h.stats as Partial<EndpointStats> | undefined;
      if (!stats || typeof stats.name !== "string" || typeof stats.num_errors !== "number") {
        throw new Error("@nats-io/services: an endpoint without the stats this service counts errors in (the library changed)");
      }
      stats.last_error ??= "";
      this.#stats.set(stats.name, stats as EndpointStats);
    }
  }

  count(endpoint: string, message: string): void {
    const stats = this.#stats.get(endpoint);
    if (!stats) return;
    stats.num_errors++;
    stats.last_error = message;
  }
}
