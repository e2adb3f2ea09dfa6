import { availableParallelism } from 'node:os';
import { parseAllowedHosts } from '@credit/outbound';
import { z } from 'zod';

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** `postgres://u@a:1,b:2/db` as `postgres://u@a:1/db` and `postgres://u@b:2/db`: each must be a URL. */
function oneUrlPerServer(url: string): string[] {
  const match = /^(postgres(?:ql)?:\/\/(?:[^@/?#]*@)?)([^/?#]*)(.*)$/.exec(url);
  if (!match) return [url];
  const [, head, servers = '', tail] = match;
  return servers.split(',').map((server) => `${head}${server}${tail}`);
}

/**
 * Environment shared by every service and the all-in-one server. Services extend it with their
 * own variables; each process parses its environment once at boot and stops on a bad value
 * with a message naming the variable.
 */
export const baseEnvironmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // One server, or the servers of an HA group libpq's way (postgres://u@db1:5432,db2:5432/credit):
    // the platform then connects to whichever is the primary (docs/operations.md).
    DATABASE_URL: optionalText.pipe(
      z
        .string()
        .refine(
          (url) =>
            oneUrlPerServer(url).every(
              (one) => z.url({ protocol: /^postgres(ql)?$/, hostname: /./ }).safeParse(one).success,
            ),
          {
            message: 'a postgres:// URL, with one server or several as host:port,host:port',
          },
        )
        .optional(),
    ),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    // Streaming replicas of DATABASE_URL for reads that tolerate a little lag (public disclosure,
    // listing status and changes, search): comma-separated URLs; unset, the primary reads all.
    DATABASE_REPLICA_URLS: z
      .string()
      .optional()
      .transform((value, ctx) => {
        const urls = (value ?? '')
          .split(',')
          .map((url) => url.trim())
          .filter((url) => url !== '');
        for (const url of urls) {
          if (!z.url({ protocol: /^postgres(ql)?$/ }).safeParse(url).success) {
            ctx.addIssue({ code: 'custom', message: 'each replica must be a postgres:// URL' });
            return z.NEVER;
          }
        }
        return urls;
      }),
    // A replica that lags the primary by more than this is skipped until it catches up.
    REPLICA_MAX_LAG_MS: z.coerce.number().int().min(0).default(5_000),
    // How long a read with a consistency token waits for a replica to have its write, before the primary answers.
    REPLICA_WAIT_MS: z.coerce.number().int().min(0).default(500),
    // Outbox months (docs/scaling.md) are detached this many days after they end, once every
    // reader of the feed has passed them; unset keeps every event.
    OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).optional(),
    // How often the partition keeper creates partitions ahead and applies retention; 0: never.
    PARTITION_KEEPER_EVERY_MS: z.coerce.number().int().min(0).default(21_600_000),
    DATA_DIR: z.string().default('./data'),
    // CPU-heavy work (batch intake) runs on this many worker threads, each with its own
    // connections; 0 keeps it in the request's thread. One per core, at most four, by default.
    WORKER_THREADS: z.coerce
      .number()
      .int()
      .min(0)
      .max(64)
      .default(() => Math.min(4, availableParallelism())),
    AUTH_ISSUER: optionalText,
    AUTH_AUDIENCE: optionalText,
    AUTH_JWKS: optionalText,
    AUTH_JWKS_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    BLIND_INDEX_KEY: optionalText,
    ENCRYPTION_KEYS: optionalText,
    PLATFORM_SIGNING_KEY: optionalText,
    // The platform's address as the public reaches it (https://credit.example.gov.cn): the QR
    // code on every report PDF leads there. Unset, the address a request came to is used.
    PUBLIC_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
    BATCH_BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(64 * 1_048_576),
    // Per caller (organisation, subject, or address when anonymous) and minute, per process.
    RATE_LIMIT_PUBLIC_PER_MINUTE: z.coerce.number().int().min(1).default(60),
    RATE_LIMIT_CHECKS_PER_MINUTE: z.coerce.number().int().min(1).default(6_000),
    RATE_LIMIT_LISTING_PER_MINUTE: z.coerce.number().int().min(1).default(120_000),
    // Slow clients must not hold sockets: the whole request (a 64 MiB batch included) must
    // arrive within REQUEST_TIMEOUT_MS and its headers within HEADERS_TIMEOUT_MS.
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
    HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).default(10_000),
    KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(72_000),
    CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(180_000),
    // Event-loop delay above which requests answer 503 with Retry-After instead of queueing
    // (under-pressure); 0 turns the guard off. Embedded PGlite runs in the event loop: always off there.
    MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(1000),
    // An event consumer whose oldest unapplied event is older than this makes /ready answer 503.
    CONSUMER_STUCK_AFTER_MS: z.coerce.number().int().min(100).default(300_000),
    // Whether ordinary weekends are statutory rest days when a period in natural days ends on one
    // (民法典 Art. 203): such a deadline then moves to the next working day. A policy choice.
    CALENDAR_WEEKENDS_ARE_REST_DAYS: z
      .enum(['true', 'false'])
      .default('true')
      .transform((value) => value === 'true'),
    // What one GraphQL request may ask for: aliased fields, nesting, and cost (fields that read
    // the database, counted once per subject they are resolved for; see docs/graphql.md).
    GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(30),
    GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).default(8),
    GRAPHQL_MAX_COST: z.coerce.number().int().min(1).default(500),
    // Receivers inside the network that outbound calls (webhooks) may reach, over http too:
    // `host` or `host:port`, comma-separated. Everything else must be https to a public address.
    OUTBOUND_ALLOWED_HOSTS: z
      .string()
      .optional()
      .transform((value, ctx) => {
        try {
          return parseAllowedHosts(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
  })
  .superRefine((env, ctx) => {
    const auth = [env.AUTH_ISSUER, env.AUTH_AUDIENCE, env.AUTH_JWKS ?? env.AUTH_JWKS_URL];
    if (auth.some(Boolean) && !auth.every(Boolean)) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_ISSUER'],
        message:
          'set AUTH_ISSUER, AUTH_AUDIENCE and one of AUTH_JWKS or AUTH_JWKS_URL together, or none of them',
      });
    }
    if (env.AUTH_JWKS && env.AUTH_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_JWKS'],
        message: 'set AUTH_JWKS or AUTH_JWKS_URL, not both',
      });
    }
    if (Boolean(env.BLIND_INDEX_KEY) !== Boolean(env.ENCRYPTION_KEYS)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ENCRYPTION_KEYS'],
        message:
          'set BLIND_INDEX_KEY and ENCRYPTION_KEYS together, or neither (keys are then generated under DATA_DIR)',
      });
    }
    if (env.DATABASE_REPLICA_URLS.length > 0 && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_REPLICA_URLS'],
        message:
          'replicas follow a PostgreSQL primary: set DATABASE_URL too (the embedded database has none)',
      });
    }
  });

export type BaseEnvironment = z.infer<typeof baseEnvironmentSchema>;

/**
 * Where a client on this machine reaches the server HOST and PORT configure: what `npm start`
 * prints and what the command-line tools call unless told otherwise. A server listening on every
 * interface is reached on the loopback one.
 */
export function localUrlOf(env: Pick<BaseEnvironment, 'HOST' | 'PORT'>): string {
  const host = env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST === '::' ? '::1' : env.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${env.PORT}`;
}

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** Parses the environment with a service's schema; the error names each bad variable. */
export function parseEnvironment<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map(
    (issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`,
  );
  throw new ConfigurationError(`Invalid configuration:\n${lines.join('\n')}`);
}
