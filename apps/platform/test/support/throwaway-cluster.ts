import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

/**
 * A PostgreSQL cluster of the test's own, made with the machine's binaries, that the test may
 * stop and start at will. initdb refuses to run as root, so as root every command runs as the
 * `postgres` user over a directory that user owns.
 */
const run = promisify(execFile);
const binDir = process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;

export function postgresBinariesPresent(): boolean {
  return ['initdb', 'pg_ctl'].every((tool) => existsSync(join(binDir, tool)));
}

export interface ThrowawayCluster {
  url: string;
  /** `pg_ctl stop -m fast`: open sessions are terminated, committed work is kept. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /**
   * The machine's death: SIGKILL to the postmaster and every backend at once (its process
   * group), no shutdown checkpoint, connections dropped without a word.
   */
  kill(): Promise<void>;
  /** `pg_ctl promote`: a standby becomes a primary (what an HA manager does at a failover). */
  promote(): Promise<void>;
  /** Runs SQL as the superuser on this cluster (settings, checks). */
  sql(text: string): Promise<string>;
  /** Stops the cluster whatever its state and removes its files. */
  destroy(): Promise<void>;
  log(): Promise<string>;
}

async function asPostgres(tool: string, args: string[]): Promise<string> {
  const command = join(binDir, tool);
  const { stdout } = asRoot
    ? await run('runuser', ['-u', 'postgres', '--', command, ...args])
    : await run(command, args);
  return stdout;
}

async function ownedDirectory(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(group.trim()));
  }
  return dir;
}

export async function startCluster(): Promise<ThrowawayCluster> {
  const dir = await ownedDirectory('credit-pgcluster-');
  const data = join(dir, 'data');
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  return runCluster(dir, data);
}

/**
 * A streaming replica of `primary` (`pg_basebackup -R`: a hot standby that follows it), on a
 * port of its own. initdb's default access rules already let 127.0.0.1 replicate.
 */
export async function startReplica(primary: ThrowawayCluster): Promise<ThrowawayCluster> {
  const dir = await ownedDirectory('credit-pgreplica-');
  const data = join(dir, 'data');
  const source = new URL(primary.url);
  await asPostgres('pg_basebackup', [
    '-h',
    source.hostname,
    '-p',
    source.port,
    '-U',
    'postgres',
    '-D',
    data,
    '-R',
    '-X',
    'stream',
    '--checkpoint=fast',
    '--no-sync',
  ]);
  return runCluster(dir, data);
}

async function runCluster(dir: string, data: string): Promise<ThrowawayCluster> {
  const logFile = join(dir, 'server.log');
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  const start = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '30', 'start']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
    },
    async kill() {
      const pid = Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      // pg_ctl starts the postmaster in a session of its own: its group is the whole server.
      process.kill(-pid, 'SIGKILL');
    },
    async promote() {
      await asPostgres('pg_ctl', ['-D', data, '-w', '-t', '30', 'promote']);
    },
    async sql(text) {
      return asPostgres('psql', [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-Atc',
        text,
      ]);
    },
    async destroy() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
    log: () => readFile(logFile, 'utf8').catch(() => ''),
  };
}
