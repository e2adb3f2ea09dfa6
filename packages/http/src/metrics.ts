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
    awaitingCalendar: new Gauge({
      name: 'calendar_awaiting_deadlines',
      help: 'Cases and list entries whose deadline waits for an official calendar year not loaded yet (awaiting_calendar), by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    calendarYearMissing: new Gauge({
      name: 'calendar_year_missing',
      help: '1 for a year the official working-day calendar should cover by now and does not: the current year, and from 1 November the next',
      labelNames: ['year'] as const,
      registers: [registry],
    }),
    reportRenders: new Gauge({
      name: 'report_pdf_renders',
      help: 'Report PDFs on the render threads (rendering) and waiting for one (waiting)',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    replicaLag: new Gauge({
      name: 'database_replica_replay_lag_seconds',
      help: 'How long ago the primary had written past what each read replica has replayed (DATABASE_REPLICA_URLS)',
      labelNames: ['replica'] as const,
      registers: [registry],
    }),
    replicaHealthy: new Gauge({
      name: 'database_replica_healthy',
      help: '1 when a read replica answered its last probe and is in recovery, else 0',
      labelNames: ['replica'] as const,
      registers: [registry],
    }),
    replicaReads: new Counter({
      name: 'database_lag_tolerant_reads_total',
      help: 'Lag-tolerant reads by the server that served them (a replica, or primary when none was current enough)',
      labelNames: ['served_by'] as const,
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, failing, dead)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    exchangeBatches: new Counter({
      name: 'exchange_batch_attempts_total',
      help: 'Attempts at sending exchange batches to upper platforms by outcome (acknowledged, failing)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** One route, method and status: its bucket counts (not cumulative), sum and count. */
interface Series {
  labels: { method: string; route: string; status: string };
  counts: number[];
  sum: number;
  count: number;
}

/**
 * The request-duration histogram, exported in Prometheus' histogram form through the registry.
 * prom-client's Histogram validates and hashes the labels on every observation, even through
 * `labels()` (~2.5 % of a check's cycles); here each route's hook holds its own series by method
 * and status, and an observation is two map lookups, a bucket search and three additions.
 */
export class RequestDurations {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #buckets: readonly number[];
  readonly #series: Series[] = [];

  constructor(registry: Registry, options: { name: string; help: string; buckets: readonly number[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#buckets = options.buckets;
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The observer of one route pattern (one per route: Fastify refuses a pattern twice per method). */
  forRoute(route: string): (method: string, status: number, seconds: number) => void {
    const byMethod = new Map<string, Map<number, Series>>();
    return (method, status, seconds) => {
      let byStatus = byMethod.get(method);
      if (!byStatus) {
        byStatus = new Map();
        byMethod.set(method, byStatus);
      }
      let series = byStatus.get(status);
      if (!series) {
        series = {
          labels: { method, route, status: String(status) },
          counts: this.#buckets.map(() => 0),
          sum: 0,
          count: 0,
        };
        byStatus.set(status, series);
        this.#series.push(series);
      }
      let i = 0;
      while (i < this.#buckets.length && seconds > (this.#buckets[i] as number)) i++;
      if (i < this.#buckets.length) series.counts[i] = (series.counts[i] as number) + 1;
      series.sum += seconds;
      series.count += 1;
    };
  }

  /** prom-client's metric shape, read by the registry when /metrics is scraped. */
  async get() {
    const bucketName = `${this.name}_bucket`;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const series of this.#series) {
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

  /** Forgets every observation (prom-client's `registry.resetMetrics()`); routes keep observing. */
  reset(): void {
    for (const series of this.#series) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
