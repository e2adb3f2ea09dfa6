import { baseEnvironmentSchema } from '@credit/config';
import type { KeyMaterial } from '@credit/crypto';
import { migrationFoldersOf, openRuntime } from '@credit/host';
import { createLogger } from '@credit/http';
import pg from 'pg';
import { platformServices } from '../apps/platform/src/services.ts';
import { worldCategories, worldProvider } from './world.ts';

/**
 * What every bench starts from: the database migrated (which also creates the development issuer
 * and signing key the platform process will use), `loaders` connections opened into the caller's
 * array (it closes them, also on failure), the world's provider registered, and today's daily
 * pass already run, as on a live platform (it is not what is measured).
 */
export async function prepareWorldDatabase(
  url: string,
  platformEnv: Record<string, string>,
  material: KeyMaterial,
  loaders: pg.Client[],
  /** A database a previous run kept (BENCH_KEEP), already holding its world: nothing is added. */
  reuse = false,
) {
  const runtime = await openRuntime(
    baseEnvironmentSchema.parse(platformEnv),
    migrationFoldersOf(platformServices),
    createLogger('warn'),
    { keyMaterial: material },
  );
  const { keyring, devIssuer } = runtime;
  await runtime.close();
  if (!devIssuer) throw new Error('the bench signs its tokens with the development issuer');
  for (let i = 0; i < 3; i++) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('SET synchronous_commit = off');
    loaders.push(client);
  }
  const [setup] = loaders as [pg.Client];
  if (reuse) return { keyring, devIssuer, setup };
  await setup.query(
    `INSERT INTO ingest.providers (code, name, categories, status, revision, created_at, updated_at)
     VALUES ($1, $1, $2, 'active', 1, now(), now())`,
    [worldProvider, worldCategories],
  );
  await setup.query(`INSERT INTO sanctions.job_runs (job, last_run_at) VALUES ('daily-pass', now())`);
  return { keyring, devIssuer, setup };
}

/**
 * The platform process's environment in every bench: the bench's database and data directory,
 * its port, quiet logs and the keys the bench generated (so it can read what the platform
 * encrypts). Benches add the rate limits they need raised.
 */
export function benchPlatformEnvironment(options: {
  url: string;
  dataDir: string;
  port: string;
  material: KeyMaterial;
}) {
  const { material } = options;
  return {
    DATABASE_URL: options.url,
    DATA_DIR: options.dataDir,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: options.port,
    DATABASE_POOL_SIZE: '10',
    BLIND_INDEX_KEY: `${material.blindIndexKey.id}:${material.blindIndexKey.key.toString('base64')}`,
    ENCRYPTION_KEYS: material.encryptionKeys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(','),
  };
}
