import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The platform's Prometheus metrics, one registry per application instance (tests build many
 * in one process). Services record into these; `/metrics` exposes them.
 */
export function createMetrics() {
  const registry = new Registry();
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Request duration by route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
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
