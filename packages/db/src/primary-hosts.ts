import pg from 'pg';

/**
 * A DATABASE_URL that lists several servers, libpq's way (`postgres://user@db1:5432,db2:5432/credit`):
 * the servers of a high-availability pair or group, any of which may be the primary after a
 * failover. node-postgres connects to one host, so the platform finds the one that is not in
 * recovery (libpq's `target_session_attrs=read-write`), keeps it while it answers, and looks
 * again when a connection to it fails or it turns out to be a standby (demoted after a failover).
 */
export interface ServerAddress {
  host: string;
  port: number;
}

export interface DatabaseHosts {
  servers: ServerAddress[];
  /** The URL with the first server only: what node-postgres parses for everything else. */
  singleHostUrl: string;
  /** The URL naming one of the servers (node-postgres lets a URL's host win over a `host` option). */
  urlOf(server: ServerAddress): string;
}

const multiHostUrl = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/;

function addressOf(text: string): ServerAddress | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(text);
  const match = bracketed ?? plain;
  if (!match?.[1]) return undefined;
  const port = match[2] === undefined ? 5432 : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host: match[1], port };
}

/** The servers a URL names; undefined when it is not a postgres:// URL with valid host[:port] items. */
export function parseDatabaseHosts(url: string): DatabaseHosts | undefined {
  const match = multiHostUrl.exec(url);
  if (!match) return undefined;
  const [, scheme, userInfo = '', hostList = '', rest = ''] = match;
  const servers = hostList.split(',').map((item) => addressOf(item.trim()));
  if (servers.length === 0 || servers.some((s) => s === undefined)) return undefined;
  const first = hostList.split(',')[0]?.trim() ?? '';
  return {
    servers: servers as ServerAddress[],
    singleHostUrl: `${scheme}${userInfo}${first}${rest}`,
    urlOf: (server) =>
      `${scheme}${userInfo}${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}${rest}`,
  };
}

/** No server of the list accepts writes now (all down, or all standbys during a promotion). */
export class NoPrimaryError extends Error {
  override name = 'NoPrimaryError';
  // Read by isConnectionError: callers answer 503 database_unavailable and retry, as for a lost server.
  readonly code = 'ECONNREFUSED';
}

/**
 * Which of the servers is the primary, remembered between connections. Probing asks every
 * server at once whether it is in recovery and keeps the first that is not.
 */
export class PrimaryFinder {
  private current: ServerAddress | undefined;
  private probing: Promise<ServerAddress> | undefined;

  constructor(
    private readonly hosts: DatabaseHosts,
    private readonly probeTimeoutMs = 2_000,
  ) {}

  get servers(): readonly ServerAddress[] {
    return this.hosts.servers;
  }

  async primary(): Promise<ServerAddress> {
    if (this.current) return this.current;
    this.probing ??= this.probe().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  /** Forget `server` as the primary (a connection to it failed, or it is a standby now). */
  forget(server: ServerAddress): void {
    if (this.current && this.current.host === server.host && this.current.port === server.port)
      this.current = undefined;
  }

  private async probe(): Promise<ServerAddress> {
    const answers = await Promise.all(
      this.hosts.servers.map(async (server) => {
        const client = new pg.Client({
          connectionString: this.hosts.urlOf(server),
          connectionTimeoutMillis: this.probeTimeoutMs,
          application_name: 'credit-platform-primary-probe',
        });
        client.on('error', () => {});
        try {
          await client.connect();
          const { rows } = await client.query<{ recovering: boolean }>(
            'SELECT pg_is_in_recovery() AS recovering',
          );
          return rows[0]?.recovering === false ? server : undefined;
        } catch {
          return undefined;
        } finally {
          await client.end().catch(() => {});
        }
      }),
    );
    const found = answers.find((server) => server !== undefined);
    if (!found)
      throw new NoPrimaryError(
        `none of the ${this.hosts.servers.length} servers in DATABASE_URL accepts writes now (down, or standbys)`,
      );
    this.current = found;
    return found;
  }
}

type ConnectCallback = ((error: Error) => void) | ((error: null, client: pg.Client) => void);

/**
 * A node-postgres client class that connects to the finder's primary and makes sure it is one:
 * a connection that lands on a standby is closed and refused, so the pool never writes there.
 */
export function primaryFollowingClient(finder: PrimaryFinder): typeof pg.Client {
  class PrimaryFollowingClient extends pg.Client {
    // node-postgres calls connect with a callback (the pool) or without one (a promise).
    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | undefined {
      const work = this.connectToPrimary();
      if (!callback) return work;
      // The two callback shapes of node-postgres' typings; the pool reads only the error.
      const done = callback as (error: Error | null, client?: pg.Client) => void;
      work.then(
        (client) => done(null, client),
        (error: Error) => done(error),
      );
      return undefined;
    }

    private async connectToPrimary(): Promise<pg.Client> {
      const server = await finder.primary();
      // Fields node-postgres reads when it opens the socket (Client#_connect).
      const self = this as unknown as { host: string; port: number };
      self.host = server.host;
      self.port = server.port;
      try {
        await super.connect();
      } catch (error) {
        finder.forget(server);
        throw error;
      }
      const { rows } = await this.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
      if (rows[0]?.recovering !== false) {
        finder.forget(server);
        await this.end().catch(() => {});
        throw new NoPrimaryError(
          `${server.host}:${server.port} is a standby now; looking for the primary again`,
        );
      }
      return this;
    }
  }
  return PrimaryFollowingClient;
}
