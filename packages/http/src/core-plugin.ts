import type { Keyring } from '@credit/crypto';
import type { Database, DatabaseHandle } from '@credit/db';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** What every service needs from its host, whether it runs alone or inside the all-in-one server. */
export interface PlatformContext {
  database: DatabaseHandle;
  keyring: Keyring;
  /** The current time; tests replace it (the clock is a true boundary). */
  clock: () => Date;
  /** Directory of the SQL migrations. */
  migrationsDir: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseHandle;
    db: Database;
    keyring: Keyring;
    clock: () => Date;
    migrationsDir: string;
  }
}

async function corePlugin(app: FastifyInstance, context: PlatformContext) {
  app.decorate('database', context.database);
  app.decorate('db', context.database.db);
  app.decorate('keyring', context.keyring);
  app.decorate('clock', context.clock);
  app.decorate('migrationsDir', context.migrationsDir);
}

export default fp(corePlugin, { name: 'credit-core', fastify: '5.x' });
