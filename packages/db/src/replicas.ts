import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { DatabaseHandle } from './connection.ts';
import { registerPool } from './transaction.ts';
import type { Database } from './types.ts';

/**
 * Reads that tolerate a little lag, served by streaming replicas of the primary.
 *
 * Every `probeMs` the set asks the primary where its WAL ends and each replica how far it has
 * replayed. A replica's lag is how long ago the primary had already written past the point the
 * replica has replayed to (zero once it has replayed everything the primary had): measured in
 * the primary's WAL, so an idle primary does not make a current replica look late, as
 * `now() - pg_last_xact_replay_timestamp()` would.
 *
 * A read picks a replica that answered its last probe, lags at most `maxLagMs` and, given a
 * consistency token, has replayed past it; it waits up to `waitMs` for one, then the primary
 * serves. A replica that stops answering is skipped until it answers again.
 */
export interface ReplicaSetOptions {
  urls: readonly string[];
  maxLagMs: number;
  /** How long a read with a consistency token waits for a replica to replay past it. */
  waitMs: number;
  poolSize?: number;
  probeMs?: number;
  applicationName?: string;
}

/** A position in the primary's WAL (an LSN), as a number that orders. */
export type WalPosition = bigint;

export function parseLsn(text: string): WalPosition | undefined {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(position: WalPosition): string {
  return `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The part of a URL that names a server without its credentials, for messages and metrics. */
export function serverOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'an unparseable URL';
  }
}

/** A configured replica that is a primary (not in recovery): reading there would not follow the primary. */
export class ReplicaNotInRecoveryError extends Error {
  override name = 'ConfigurationError';
}

interface Replica {
  name: string;
  pool: pg.Pool;
  db: Database;
  /** What it had replayed at its last answered probe; undefined until one answered. */
  replayed: WalPosition | undefined;
  lagMs: number;
  healthy: boolean;
}

export interface ReplicaState {
  name: string;
  healthy: boolean;
  lagMs: number;
}

export interface ReplicaSet {
  /** The primary's system identifier, which its replicas share: it tells a token of another cluster. */
  readonly systemIdentifier: string;
  /**
   * A database for a lag-tolerant read: a healthy replica current enough (past `after` when
   * given), or the primary's `fallback` when none becomes so within the wait.
   */
  reader(fallback: Database, after?: WalPosition): Promise<{ db: Database; replica: string | null }>;
  /** A replica that failed a read: skipped until its next probe answers. */
  markDown(replica: string): void;
  /** Where the primary's WAL ends now: the token of a write whose transaction has committed. */
  primaryPosition(): Promise<WalPosition>;
  /** Whether the primary has written up to `position`: from the last probe, else asked. */
  primaryReached(position: WalPosition): Promise<boolean>;
  states(): ReplicaState[];
  close(): Promise<void>;
}

/** Samples of the primary's WAL end over the last minute: when it had written past a point. */
class PrimaryHistory {
  private samples: { at: number; position: WalPosition }[] = [];

  add(at: number, position: WalPosition): void {
    this.samples.push({ at, position });
    const horizon = at - 60_000;
    while (this.samples.length > 2 && (this.samples[0] as { at: number }).at < horizon) this.samples.shift();
  }

  latest(): WalPosition | undefined {
    return this.samples.at(-1)?.position;
  }

  /** Milliseconds since the primary first wrote beyond `replayed`; 0 when it has not. */
  lagOf(replayed: WalPosition, now: number): number {
    const first = this.samples.find((sample) => sample.position > replayed);
    return first ? now - first.at : 0;
  }
}

function openPool(url: string, size: number, applicationName: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: size,
    application_name: applicationName,
    options: '-c TimeZone=UTC',
    // A replica that does not answer is skipped, not waited for.
    connectionTimeoutMillis: 2_000,
    keepAlive: true,
  });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens the replicas beside `primary` (a pool on the primary server). Refuses, naming it, a
 * replica that is not in recovery or is a copy of another cluster.
 */
export async function openReplicaSet(
  primary: DatabaseHandle,
  options: ReplicaSetOptions,
): Promise<ReplicaSet> {
  const probeMs = options.probeMs ?? 250;
  const applicationName = options.applicationName ?? 'credit-platform-reads';
  const [identity] = await primary.query<{ id: string }>(
    'SELECT system_identifier::text AS id FROM pg_control_system()',
  );
  const systemIdentifier = identity?.id ?? '';
  const replicas: Replica[] = [];
  try {
    for (const url of options.urls) {
      const name = serverOf(url);
      const pool = openPool(url, options.poolSize ?? 10, applicationName);
      const db = drizzlePg({ client: pool }) as unknown as Database;
      registerPool(db, { pool, logger: { logQuery() {} } });
      replicas.push({ name, pool, db, replayed: undefined, lagMs: 0, healthy: false });
      const [row] = (
        await pool.query<{ recovering: boolean; id: string }>(
          'SELECT pg_is_in_recovery() AS recovering, system_identifier::text AS id FROM pg_control_system()',
        )
      ).rows;
      if (!row?.recovering)
        throw new ReplicaNotInRecoveryError(
          `DATABASE_REPLICA_URLS names ${name}, which is not a replica (not in recovery): reads there would not follow the primary`,
        );
      if (row.id !== systemIdentifier)
        throw new ReplicaNotInRecoveryError(
          `DATABASE_REPLICA_URLS names ${name}, a replica of another cluster than DATABASE_URL's`,
        );
    }
  } catch (error) {
    await Promise.all(replicas.map((r) => r.pool.end().catch(() => undefined)));
    throw error;
  }

  const history = new PrimaryHistory();
  let closed = false;
  let probing: Promise<void> = Promise.resolve();

  async function probe(): Promise<void> {
    const started = Date.now();
    try {
      history.add(started, await primaryPosition());
    } catch {
      // The primary's absence shows elsewhere (/ready); lags keep their last value.
    }
    await Promise.all(
      replicas.map(async (replica) => {
        try {
          const [row] = (
            await replica.pool.query<{ lsn: string | null; recovering: boolean }>(
              'SELECT pg_last_wal_replay_lsn()::text AS lsn, pg_is_in_recovery() AS recovering',
            )
          ).rows;
          const replayed = row?.lsn ? parseLsn(row.lsn) : undefined;
          // Promoted (a failover) or not replaying: no longer a copy that follows this primary.
          if (!row?.recovering || replayed === undefined) {
            replica.healthy = false;
            return;
          }
          replica.replayed = replayed;
          replica.lagMs = history.lagOf(replayed, Date.now());
          replica.healthy = true;
        } catch {
          replica.healthy = false;
        }
      }),
    );
  }

  async function primaryPosition(): Promise<WalPosition> {
    const [row] = await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const position = row ? parseLsn(row.lsn) : undefined;
    if (position === undefined) throw new Error('the primary answered no WAL position');
    return position;
  }

  await probe();
  const timer = setInterval(() => {
    probing = probing.then(probe);
  }, probeMs);
  timer.unref();

  let next = 0;
  function pick(after: WalPosition | undefined): Replica | undefined {
    for (let i = 0; i < replicas.length; i++) {
      const replica = replicas[(next + i) % replicas.length] as Replica;
      if (!replica.healthy || replica.lagMs > options.maxLagMs) continue;
      if (after !== undefined && (replica.replayed === undefined || replica.replayed < after)) continue;
      next = (next + i + 1) % replicas.length;
      return replica;
    }
    return undefined;
  }

  /** Asks the replicas directly, without waiting for the next probe: a token's wait is short. */
  async function replayedPast(after: WalPosition): Promise<Replica | undefined> {
    for (const replica of replicas) {
      if (!replica.healthy || replica.lagMs > options.maxLagMs) continue;
      try {
        const [row] = (
          await replica.pool.query<{ lsn: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS lsn')
        ).rows;
        const replayed = row?.lsn ? parseLsn(row.lsn) : undefined;
        if (replayed === undefined) continue;
        if (replica.replayed === undefined || replayed > replica.replayed) replica.replayed = replayed;
        if (replayed >= after) return replica;
      } catch {
        replica.healthy = false;
      }
    }
    return undefined;
  }

  return {
    systemIdentifier,
    async reader(fallback, after) {
      const now = pick(after);
      if (now) return { db: now.db, replica: now.name };
      if (after === undefined || replicas.length === 0) return { db: fallback, replica: null };
      const deadline = Date.now() + options.waitMs;
      for (let pause = 2; Date.now() < deadline; pause = Math.min(pause * 2, 50)) {
        const caughtUp = await replayedPast(after);
        if (caughtUp) return { db: caughtUp.db, replica: caughtUp.name };
        await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
      }
      return { db: fallback, replica: null };
    },
    primaryPosition,
    async primaryReached(position) {
      const seen = history.latest();
      if (seen !== undefined && position <= seen) return true;
      return position <= (await primaryPosition());
    },
    markDown(name) {
      for (const replica of replicas) if (replica.name === name) replica.healthy = false;
    },
    states: () => replicas.map((r) => ({ name: r.name, healthy: r.healthy, lagMs: r.lagMs })),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await probing.catch(() => undefined);
      await Promise.all(replicas.map((r) => r.pool.end().catch(() => undefined)));
    },
  };
}
