import { createKeyring, type KeyMaterial, type Keyring, type PlatformSigner } from '@credit/crypto';
import type { Database, DatabaseHandle, DatabaseTarget, ReplicaSet } from '@credit/db';
import type { RunningConsumer } from '@credit/events';
import type { OutboundGuard } from '@credit/outbound';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { issueConsistencyTokens } from './consistency.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { attachRouteHook } from './route-hooks.ts';

/**
 * What a worker thread needs to work beside the process that started it: a database it can
 * reach on its own connections, and the keys. Only a server reachable by URL can be shared.
 */
export interface ThreadBootstrap {
  database: Extract<DatabaseTarget, { kind: 'postgres' }>;
  keyMaterial: KeyMaterial;
  /** How many worker threads a service may start (WORKER_THREADS). */
  count: number;
  /**
   * Start them with the service and be ready only once they are (a server's first requests then
   * do not wait for them); otherwise at first use (tests, where most applications never need them).
   */
  startWithService: boolean;
}

/** A worker thread's keyring, from the bootstrap it was given: its buffers arrive as plain Uint8Arrays after the structured clone. */
export function threadKeyring(bootstrap: ThreadBootstrap): Keyring {
  const { keyMaterial } = bootstrap;
  return createKeyring({
    blindIndexKey: { id: keyMaterial.blindIndexKey.id, key: Buffer.from(keyMaterial.blindIndexKey.key) },
    encryptionKeys: keyMaterial.encryptionKeys.map(({ id, key }) => ({ id, key: Buffer.from(key) })),
  });
}

/** What every service needs from its host, whether it runs alone or inside the all-in-one server. */
export interface PlatformContext {
  database: DatabaseHandle;
  /** Streaming replicas for lag-tolerant reads (DATABASE_REPLICA_URLS); absent: the primary reads. */
  replicas?: ReplicaSet | null;
  keyring: Keyring;
  signer: PlatformSigner;
  /** The current time; tests replace it (the clock is a true boundary). */
  clock: () => Date;
  /** Directory of the SQL migrations. */
  migrationsDir: string;
  /** Present when services may move CPU-heavy work to worker threads (not on embedded PGlite). */
  threads?: ThreadBootstrap | undefined;
  /** The largest body a streamed batch route reads (BATCH_BODY_LIMIT_BYTES); other routes have BODY_LIMIT_BYTES. */
  batchBodyLimit: number;
  /** How legal periods read the law where it leaves a choice (`CalendarPolicy` of @credit/calendar). */
  calendarPolicy: { weekendsAreRestDays: boolean };
  /** What one GraphQL request may ask for (GRAPHQL_MAX_ALIASES, GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_COST). */
  graphqlLimits: GraphqlLimits;
  /** Every call to an address a caller gave (webhooks) goes through it: see @credit/outbound. */
  outbound: OutboundGuard;
  /**
   * The platform's address as the public reaches it (PUBLIC_BASE_URL), for links printed on
   * documents (a report's verification QR code); null: the address the request came to.
   */
  publicBaseUrl?: string | null;
}

/** Something `/ready` reports without failing: the instance serves, but someone must act. */
export interface ReadinessWarning {
  code: string;
  detail: string;
}

export interface GraphqlLimits {
  maxAliases: number;
  maxDepth: number;
  maxCost: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseHandle;
    db: Database;
    /** Read replicas; null when reads all go to the primary. See `lagTolerantDb`. */
    replicas: ReplicaSet | null;
    keyring: Keyring;
    signer: PlatformSigner;
    clock: () => Date;
    migrationsDir: string;
    threads: ThreadBootstrap | undefined;
    batchBodyLimit: number;
    calendarPolicy: { weekendsAreRestDays: boolean };
    graphqlLimits: GraphqlLimits;
    outbound: OutboundGuard;
    publicBaseUrl: string | null;
    /** Event consumers the services run in this process, by name (readiness, tests). */
    consumers: Map<string, RunningConsumer>;
    metrics: Metrics;
    /** What services refresh in `metrics` when it is scraped (counts read from their tables). */
    metricRefreshers: (() => Promise<void>)[];
    /**
     * Conditions an operator must act on that do not make the process unready, by code: `/ready`
     * lists them and still answers 200.
     */
    readinessWarnings: Map<string, () => ReadinessWarning | undefined>;
  }
}

async function corePlugin(app: FastifyInstance, context: PlatformContext) {
  app.decorate('database', context.database);
  app.decorate('db', context.database.db);
  app.decorate('keyring', context.keyring);
  app.decorate('signer', context.signer);
  app.decorate('consumers', new Map<string, RunningConsumer>());
  app.decorate('metrics', createMetrics());
  app.decorate('metricRefreshers', []);
  app.decorate('readinessWarnings', new Map());
  // Durations by route pattern for every route in the application (this plugin decorates the
  // root), each route's hook bound to its pattern rather than reading it from the request.
  app.addHook('onRoute', (route) => {
    if (route.url === '/metrics') return;
    const observe = app.metrics.httpDuration.forRoute(route.url);
    attachRouteHook(
      route,
      'onResponse',
      (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        observe(request.method, reply.statusCode, reply.elapsedTime / 1000);
        done();
      },
      'last',
    );
  });
  app.decorate('replicas', context.replicas ?? null);
  if (context.replicas) {
    const replicas = context.replicas;
    issueConsistencyTokens(app, replicas);
    app.metricRefreshers.push(async () => {
      for (const state of replicas.states()) {
        app.metrics.replicaLag.set({ replica: state.name }, state.lagMs / 1000);
        app.metrics.replicaHealthy.set({ replica: state.name }, state.healthy ? 1 : 0);
      }
    });
  }
  app.decorate('clock', context.clock);
  app.decorate('migrationsDir', context.migrationsDir);
  app.decorate('threads', context.threads);
  app.decorate('batchBodyLimit', context.batchBodyLimit);
  app.decorate('calendarPolicy', context.calendarPolicy);
  app.decorate('graphqlLimits', context.graphqlLimits);
  app.decorate('outbound', context.outbound);
  app.decorate('publicBaseUrl', context.publicBaseUrl ?? null);
}

export default fp(corePlugin, { name: 'credit-core', fastify: '5.x' });
