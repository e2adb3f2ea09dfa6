import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The platform's Prometheus metrics, one registry per application instance (tests build many
 * in one process). Services record into these; `/metrics` exposes them.
 */
export function createMetrics() {
  const registry = new Registry();
  return {
    registry,
    httpDuration: new RequestDurations(registry, {
      name: 'http_request_duration_seconds',
      help: 'Request duration by route pattern and status',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    records: new Counter({
      name: 'ingest_records_total',
      help: 'Records received by outcome (created, unchanged, refused) and refusal code',
      labelNames: ['outcome', 'code'] as const,
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'event_consumer_lag_seconds',
      help: 'Age of the oldest committed event a consumer has not applied yet',
      labelNames: ['consumer'] as const,
      registers: [registry],
    }),
    consumerFailures: new Gauge({
      name: 'event_consumer_consecutive_failures',
      help: 'Consecutive failed steps of an event consumer',
      labelNames: ['consumer'] as const,
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, failing, dead)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** One route, method and status: its bucket counts (not cumulative), sum and count. */
export interface DurationSeries {
  observe(seconds: number): void;
}

interface Series extends DurationSeries {
  labels: { method: string; route: string; status: string };
  counts: number[];
  sum: number;
  count: number;
}

/**
 * The request-duration histogram, exported in Prometheus' histogram form through the registry.
 * prom-client's Histogram validates and hashes the labels on every observation, even through
 * `labels()` (~2.5 % of a check's cycles); here each route's hook holds its series and an
 * observation is a bucket search and three additions.
 */
export class RequestDurations {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #buckets: readonly number[];
  readonly #series = new Map<string, Series>();

  constructor(registry: Registry, options: { name: string; help: string; buckets: readonly number[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#buckets = options.buckets;
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of a route pattern, method and status (made on first use, then kept by the caller). */
  series(method: string, route: string, status: number): DurationSeries {
    const key = `${method} ${status} ${route}`;
    let series = this.#series.get(key);
    if (!series) {
      const buckets = this.#buckets;
      const made: Series = {
        labels: { method, route, status: String(status) },
        counts: buckets.map(() => 0),
        sum: 0,
        count: 0,
        observe(seconds) {
          let i = 0;
          while (i < buckets.length && seconds > (buckets[i] as number)) i++;
          if (i < buckets.length) made.counts[i] = (made.counts[i] as number) + 1;
          made.sum += seconds;
          made.count += 1;
        },
      };
      series = made;
      this.#series.set(key, series);
    }
    return series;
  }

  /** prom-client's metric shape, read by the registry when /metrics is scraped. */
  async get() {
    const bucketName = `${this.name}_bucket`;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.#buckets.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: bucketName });
      });
      values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: bucketName });
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.#series.clear();
  }
}
