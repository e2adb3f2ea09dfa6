import { getHeapStatistics } from 'node:v8';
import type { CipherStore, PartitionedTable } from '@credit/db';
import {
  authPlugin,
  compressionPlugin,
  corePlugin,
  createHttpApp,
  healthRoutes,
  openapiPlugin,
  operationsRoutes,
  partitionKeeper,
  rateLimitPlugin,
  retryAfterSeconds,
} from '@credit/http';
import { OutboundGuard, type ResolveHost } from '@credit/outbound';
import underPressure from '@fastify/under-pressure';
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Runtime } from './runtime.ts';

/** One service as the host sees it: its plugin, options and the migration folders it needs. */
export interface ServiceDefinition {
  name: string;
  migrations: readonly string[];
  // Each service plugin takes its own options type; the host passes them through untouched.
  // biome-ignore lint/suspicious/noExplicitAny: options are checked by each service's own plugin signature
  plugin: FastifyPluginAsync<any>;
  options?: Record<string, unknown>;
  /** The service's tables that hold identity ciphertexts: what `npm run rotate-keys` re-encrypts. */
  cipherStores?: readonly CipherStore[];
  /** The service's partitioned append-only tables, as the partition keeper looks after them. */
  partitions?: (settings: { outboxRetentionDays: number | undefined }) => readonly PartitionedTable[];
}

export interface PlatformAppOptions {
  logger: FastifyBaseLogger;
  services: readonly ServiceDefinition[];
  clock?: () => Date;
  checkResponses?: boolean;
  title?: string;
  /** Name resolution for outbound calls; tests replace it (DNS is a true boundary). */
  resolveHost?: ResolveHost;
}

/**
 * Builds the HTTP application for a set of services over a runtime: the same function serves
 * the all-in-one server, each service alone, and the tests.
 */
export async function buildPlatformApp(
  runtime: Runtime,
  options: PlatformAppOptions,
): Promise<FastifyInstance> {
  const app = createHttpApp({
    logger: options.logger,
    bodyLimit: runtime.env.BODY_LIMIT_BYTES,
    checkResponses: options.checkResponses ?? false,
    timeouts: {
      requestMs: runtime.env.REQUEST_TIMEOUT_MS,
      headersMs: runtime.env.HEADERS_TIMEOUT_MS,
      keepAliveMs: runtime.env.KEEP_ALIVE_TIMEOUT_MS,
      connectionMs: runtime.env.CONNECTION_TIMEOUT_MS,
    },
  });
  // Before every route: the compressor attaches itself to each route as it is added.
  await app.register(compressionPlugin);
  await app.register(corePlugin, {
    database: runtime.database,
    replicas: runtime.replicas,
    keyring: runtime.keyring,
    signer: runtime.signer,
    clock: options.clock ?? (() => new Date()),
    migrationsDir: runtime.migrationsDir,
    threads: runtime.threads,
    batchBodyLimit: runtime.env.BATCH_BODY_LIMIT_BYTES,
    calendarPolicy: { weekendsAreRestDays: runtime.env.CALENDAR_WEEKENDS_ARE_REST_DAYS },
    graphqlLimits: {
      maxAliases: runtime.env.GRAPHQL_MAX_ALIASES,
      maxDepth: runtime.env.GRAPHQL_MAX_DEPTH,
      maxCost: runtime.env.GRAPHQL_MAX_COST,
    },
    publicBaseUrl: runtime.env.PUBLIC_BASE_URL ?? null,
    outbound: new OutboundGuard({
      allowedHosts: runtime.env.OUTBOUND_ALLOWED_HOSTS,
      ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
    }),
  });
  await app.register(authPlugin, { verifier: runtime.verifier });
  await app.register(rateLimitPlugin, {
    public: runtime.env.RATE_LIMIT_PUBLIC_PER_MINUTE,
    checks: runtime.env.RATE_LIMIT_CHECKS_PER_MINUTE,
    listing: runtime.env.RATE_LIMIT_LISTING_PER_MINUTE,
  });
  await app.register(openapiPlugin, {
    title: options.title ?? 'Public credit information platform',
    version: '0.1.0',
    description:
      'Ingest, query, sanctions and repair services of a city public credit information platform (公共信用信息平台). Errors are application/problem+json with a stable `code`.',
  });
  const names = options.services.map((s) => s.name);
  await app.register(healthRoutes, { services: () => names });
  await app.register(operationsRoutes, {
    migrationFolders: migrationFoldersOf(options.services),
    consumerStuckAfterMs: runtime.env.CONSUMER_STUCK_AFTER_MS,
  });
  // Under pressure (event loop stalled, heap exhausted) answer 503 with Retry-After instead of queueing.
  await app.register(underPressure, {
    // Embedded PGlite runs inside this event loop, so its query time would read as a stall.
    maxEventLoopDelay: runtime.database.kind === 'pglite' ? 0 : runtime.env.MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: 0.9 * getHeapStatistics().heap_size_limit,
    retryAfter: retryAfterSeconds,
    exposeStatusRoute: false,
  });
  for (const service of options.services) await app.register(service.plugin, service.options ?? {});
  const outboxRetentionDays = runtime.env.OUTBOX_RETENTION_DAYS;
  await app.register(partitionKeeper, {
    tables: options.services.flatMap((s) => s.partitions?.({ outboxRetentionDays }) ?? []),
    everyMs: runtime.env.PARTITION_KEEPER_EVERY_MS,
  });
  return app;
}

export function migrationFoldersOf(services: readonly ServiceDefinition[]): string[] {
  return [...new Set(services.flatMap((s) => s.migrations))];
}
