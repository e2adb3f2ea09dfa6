import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { type DataDirectoryLock, lockDataDirectory } from './data-directory-lock.ts';
import { connectionStream } from './in-place-socket.ts';
import { PrimaryFinder, parseDatabaseHosts, primaryFollowingClient } from './primary-hosts.ts';
import { registerPool } from './transaction.ts';
import type { Database } from './types.ts';

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number; applicationName?: string }
  | { kind: 'pglite'; dataDir?: string };

/** Statements on one connection: what session-level state (advisory locks) needs. */
export interface DatabaseSession {
  execScript(sqlText: string): Promise<void>;
  query<T extends Record<string, unknown>>(sqlText: string, params?: unknown[]): Promise<T[]>;
}

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Runs SQL text with several statements and no parameters (migrations). */
  execScript(sqlText: string): Promise<void>;
  /** A parameterised query returning rows, for the few statements drizzle cannot express. */
  query<T extends Record<string, unknown>>(sqlText: string, params?: unknown[]): Promise<T[]>;
  /**
   * A hot statement prepared once per pooled connection under `name` (parsed and planned once,
   * then only bound and executed): for the few statements run thousands of times a second.
   * The same name must always carry the same text.
   */
  prepared<T extends Record<string, unknown>>(name: string, sqlText: string, params: unknown[]): Promise<T[]>;
  /** Runs `work` on a single dedicated connection. */
  withSession<T>(work: (session: DatabaseSession) => Promise<T>): Promise<T>;
  /**
   * Subscribes to a NOTIFY channel; resolves to an unsubscribe function. On PostgreSQL it holds
   * one dedicated connection and reconnects after losing it.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /**
   * Calls `listener` with the SQL text (never the parameters) of every statement drizzle runs:
   * for statement counts in tests and metrics. Returns the unsubscribe function.
   */
  onStatement(listener: (sqlText: string) => void): () => void;
  /** Whether the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

function statementListeners() {
  const listeners = new Set<(sqlText: string) => void>();
  return {
    logger: {
      logQuery(query: string) {
        for (const listener of listeners) listener(query);
      },
    },
    onStatement(listener: (sqlText: string) => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  const statements = statementListeners();
  if (target.kind === 'postgres') {
    // Several servers in the URL (an HA group): connect to whichever is the primary now.
    const hosts = parseDatabaseHosts(target.url);
    const Client =
      hosts && hosts.servers.length > 1 ? primaryFollowingClient(new PrimaryFinder(hosts)) : pg.Client;
    const connectionString = hosts?.singleHostUrl ?? target.url;
    const pool = new pg.Pool({
      Client,
      connectionString,
      max: target.poolSize ?? 10,
      application_name: target.applicationName ?? 'credit-platform',
      // Every session works in UTC; legal deadlines are computed in Asia/Shanghai by the calendar module.
      options: '-c TimeZone=UTC',
      // A server that accepts no connection (network partition) fails the request instead of hanging it.
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      stream: connectionStream,
    });
    // A client losing its server (restart, failover) must not crash the process. The pool
    // listens only while a client is idle; a checked-out client between two statements of a
    // transaction would otherwise emit 'error' to nobody, which Node turns into a crash. The
    // failure still reaches the caller through its next statement.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    const db = drizzlePg({ client: pool, logger: statements.logger }) as unknown as Database;
    registerPool(db, { pool, logger: statements.logger });
    let poolClosed = false;
    return {
      db,
      kind: 'postgres',
      onStatement: statements.onStatement,
      async execScript(sqlText) {
        await pool.query(sqlText);
      },
      async query<T extends Record<string, unknown>>(sqlText: string, params: unknown[] = []) {
        const result = await pool.query<T>(sqlText, params);
        return result.rows;
      },
      async prepared<T extends Record<string, unknown>>(name: string, sqlText: string, params: unknown[]) {
        const result = await pool.query<T>({ name, text: sqlText, values: params });
        return result.rows;
      },
      async withSession(work) {
        const client = await pool.connect();
        try {
          return await work({
            async execScript(sqlText) {
              await client.query(sqlText);
            },
            async query<T extends Record<string, unknown>>(sqlText: string, params: unknown[] = []) {
              return (await client.query<T>(sqlText, params)).rows;
            },
          });
        } finally {
          client.release();
        }
      },
      listen: (channel, onNotify) => listenOnPostgres(connectionString, Client, channel, onNotify),
      async ping() {
        try {
          await pool.query('select 1');
          return true;
        } catch {
          return false;
        }
      },
      async close() {
        if (poolClosed) return;
        poolClosed = true;
        await pool.end();
      },
    };
  }

  let lock: DataDirectoryLock | undefined;
  if (target.dataDir) {
    await mkdir(target.dataDir, { recursive: true });
    lock = await lockDataDirectory(target.dataDir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create(target.dataDir);
    await client.exec("SET TimeZone = 'UTC'");
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const db = drizzlePglite({ client, logger: statements.logger }) as unknown as Database;
  let closed = false;
  const session: DatabaseSession = {
    async execScript(sqlText) {
      await client.exec(sqlText);
    },
    async query<T extends Record<string, unknown>>(sqlText: string, params: unknown[] = []) {
      const result = await client.query<T>(sqlText, params);
      return result.rows;
    },
  };
  return {
    db,
    kind: 'pglite',
    onStatement: statements.onStatement,
    ...session,
    // One embedded connection: PGlite keeps no per-connection plan worth naming.
    prepared: (_name, sqlText, params) => session.query(sqlText, params),
    withSession: (work) => work(session),
    async listen(channel, onNotify) {
      const unsubscribe = await client.listen(channel, () => onNotify());
      return async () => {
        if (!closed) await unsubscribe();
      };
    },
    async ping() {
      if (closed) return false;
      try {
        await client.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        await lock?.release();
      }
    },
  };
}

function assertChannel(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`invalid NOTIFY channel '${channel}'`);
}

async function listenOnPostgres(
  url: string,
  Client: typeof pg.Client,
  channel: string,
  onNotify: () => void,
): Promise<() => Promise<void>> {
  assertChannel(channel);
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const reconnectLater = () => {
    if (stopped) return;
    if (retry) clearTimeout(retry);
    retry = setTimeout(() => void connect().catch(() => {}), 1000);
  };
  const connect = async (): Promise<void> => {
    retry = undefined;
    const next = new Client({
      connectionString: url,
      application_name: 'credit-platform-listener',
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    let lost = false;
    next.on('notification', () => onNotify());
    next.on('error', () => {
      // A shutdown both reports an error and ends the socket: reconnect once, not once per report.
      if (lost) return;
      lost = true;
      next.end().catch(() => {});
      if (client === next) client = undefined;
      reconnectLater();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      if (stopped || lost) {
        await next.end().catch(() => {});
        return;
      }
      client = next;
      // Whatever was notified while disconnected was missed: let the consumer look now.
      onNotify();
    } catch {
      if (lost) return;
      lost = true;
      await next.end().catch(() => {});
      reconnectLater();
    }
  };
  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}
