import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { metricCatalogue, MetricType, type MetricName } from "./metric-catalogue.js";
import type { Sample } from "./metric-samples.js";

/**
 * prom-client's registry with every metric of the catalogue and the library's process metrics
 * (CPU, memory, event-loop lag, GC): prom-client writes the text format, with its escaping.
 */
export class MetricsRegistry {
  readonly #registry = new Registry();
  readonly #metrics = new Map<MetricName, Gauge | Counter>();

  constructor() {
    collectDefaultMetrics({ register: this.#registry });
    for (const [name, def] of Object.entries(metricCatalogue) as [MetricName, (typeof metricCatalogue)[MetricName]][]) {
      const config = { name, help: def.help, labelNames: [...def.labels], registers: [this.#registry] };
      this.#metrics.set(name, def.type === MetricType.Counter ? new Counter(config) : new Gauge(config));
    }
  }

  /** The Content-Type of what `render` returns (text format 0.0.4). */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /**
   * The exposition of these samples, which replace the previous ones entirely (a server gone is a
   * series gone). The samples are copied into the metrics synchronously, so scrapes that overlap
   * each get a consistent set.
   */
  render(samples: ReadonlyMap<MetricName, readonly Sample[]>): Promise<string> {
    for (const [name, metric] of this.#metrics) {
      metric.reset();
      const list = samples.get(name) ?? [];
      if (metric instanceof Counter) for (const s of list) metric.inc(s.labels, s.value);
      else for (const s of list) metric.set(s.labels, s.value);
    }
    return this.#registry.metrics();
  }
}
