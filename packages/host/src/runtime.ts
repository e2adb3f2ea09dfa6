import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTokenVerifier,
  type DevIssuer,
  keysFromJwks,
  keysFromUrl,
  openDevIssuer,
  type TokenVerifier,
} from '@credit/auth';
import type { BaseEnvironment } from '@credit/config';
import {
  createKeyring,
  type KeyMaterial,
  type Keyring,
  keyFilePath,
  loadOrCreateKeyFile,
  loadOrCreateSigner,
  type PlatformSigner,
  parseKeyEnvironment,
  signerFromJwk,
} from '@credit/crypto';
import {
  type DatabaseHandle,
  type DatabaseTarget,
  migrate,
  openDatabase,
  openReplicaSet,
  type ReplicaSet,
  serverOf,
} from '@credit/db';
import type { ThreadBootstrap } from '@credit/http';

/** Where `migrations/` lives: the repository root, two levels above this package's source. */
export const defaultMigrationsDir = resolve(fileURLToPath(new URL('../../../migrations', import.meta.url)));

export interface RuntimeLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
}

/** Everything a process holds for its lifetime, whichever services it serves. */
export interface Runtime {
  env: BaseEnvironment;
  database: DatabaseHandle;
  /** Streaming replicas for lag-tolerant reads (DATABASE_REPLICA_URLS); null: the primary reads all. */
  replicas: ReplicaSet | null;
  keyring: Keyring;
  /** The platform's signing key: reports, authorisation tokens. */
  signer: PlatformSigner;
  verifier: TokenVerifier;
  /** Present when no trusted issuer is configured (development, the embedded default). */
  devIssuer: DevIssuer | undefined;
  migrationsDir: string;
  /** What a worker thread needs to open its own connections and keyring; absent on embedded PGlite. */
  threads: ThreadBootstrap | undefined;
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  database?: DatabaseTarget;
  /** Instead of DATABASE_REPLICA_URLS. */
  replicaUrls?: readonly string[];
  keyMaterial?: KeyMaterial;
  migrationsDir?: string;
}

export function databaseTargetOf(env: BaseEnvironment): DatabaseTarget {
  return env.DATABASE_URL
    ? { kind: 'postgres', url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
    : { kind: 'pglite', dataDir: join(env.DATA_DIR, 'pgdata') };
}

async function loadKeys(env: BaseEnvironment, logger: RuntimeLogger): Promise<KeyMaterial> {
  if (env.BLIND_INDEX_KEY && env.ENCRYPTION_KEYS)
    return parseKeyEnvironment(env.BLIND_INDEX_KEY, env.ENCRYPTION_KEYS);
  const path = keyFilePath(env.DATA_DIR);
  const { material, created } = await loadOrCreateKeyFile(path);
  if (created) logger.info({ path }, 'generated platform keys under DATA_DIR');
  if (env.DATABASE_URL) {
    logger.warn(
      { path },
      'keys come from a file under DATA_DIR; set BLIND_INDEX_KEY and ENCRYPTION_KEYS for a shared database',
    );
  }
  return material;
}

async function loadVerifier(
  env: BaseEnvironment,
): Promise<{ verifier: TokenVerifier; devIssuer?: DevIssuer }> {
  if (env.AUTH_ISSUER && env.AUTH_AUDIENCE) {
    const keys = env.AUTH_JWKS ? keysFromJwks(env.AUTH_JWKS) : keysFromUrl(env.AUTH_JWKS_URL as string);
    return { verifier: createTokenVerifier({ issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, keys }) };
  }
  const devIssuer = await openDevIssuer(env.DATA_DIR);
  return { verifier: devIssuer.verifier, devIssuer };
}

/** Opens the database, applies the services' migrations, loads keys and the token verifier. */
export async function openRuntime(
  env: BaseEnvironment,
  migrationFolders: readonly string[],
  logger: RuntimeLogger,
  overrides: RuntimeOverrides = {},
): Promise<Runtime> {
  const migrationsDir = overrides.migrationsDir ?? defaultMigrationsDir;
  const keyMaterial = overrides.keyMaterial ?? (await loadKeys(env, logger));
  const keyring = createKeyring(keyMaterial);
  const { verifier, devIssuer } = await loadVerifier(env);
  const signer = env.PLATFORM_SIGNING_KEY
    ? await signerFromJwk(env.PLATFORM_SIGNING_KEY)
    : await loadOrCreateSigner(join(env.DATA_DIR, 'keys', 'platform-signing.json'));
  const target = overrides.database ?? databaseTargetOf(env);
  const database = await openDatabase(target);
  let replicas: ReplicaSet | null = null;
  try {
    const { applied } = await migrate(database, migrationsDir, migrationFolders);
    if (applied.length > 0) logger.info({ applied }, 'applied migrations');
    const replicaUrls = overrides.replicaUrls ?? env.DATABASE_REPLICA_URLS;
    if (replicaUrls.length > 0 && target.kind === 'postgres') {
      replicas = await openReplicaSet(database, {
        urls: replicaUrls,
        maxLagMs: env.REPLICA_MAX_LAG_MS,
        waitMs: env.REPLICA_WAIT_MS,
        poolSize: env.DATABASE_POOL_SIZE,
      });
      logger.info({ replicas: replicaUrls.map(serverOf) }, 'lag-tolerant reads go to replicas');
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  return {
    env,
    database,
    replicas,
    keyring,
    signer,
    verifier,
    devIssuer,
    migrationsDir,
    // PGlite lives in this thread's memory: only a server reachable by URL can be shared.
    threads:
      target.kind === 'postgres' && env.WORKER_THREADS > 0
        ? {
            database: target,
            keyMaterial,
            count: env.WORKER_THREADS,
            startWithService: env.NODE_ENV !== 'test',
          }
        : undefined,
    async close() {
      await replicas?.close();
      await database.close();
    },
  };
}
