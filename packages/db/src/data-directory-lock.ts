import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';

/**
 * PGlite is PostgreSQL in one process's memory, writing straight to its data directory: it has
 * no postmaster to keep a second process out. A second process opening the same directory runs
 * crash recovery over the first one's live files, and the two then write one WAL and one
 * pg_control at different positions; the next start after either one ends uncleanly dies with
 * `RuntimeError: Aborted()`. So every process that opens an embedded data directory takes this
 * lock first: a file beside the directory naming the holder (pid, host, command, when).
 *
 * A lock whose holder is gone (killed, crashed, the machine restarted) is taken over; a lock
 * held by a live process, or by a process on another host that cannot be checked from here,
 * refuses at once with a message saying who holds it and what to do.
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** The kernel's boot id when known: a pid from before a restart names nobody now. */
  bootId?: string;
  /** What the holder runs (`server.ts`, `verify.ts`…), for the message. */
  command: string;
  since: string;
  /** Unique per acquisition: tells our own lock from a later holder's. */
  token: string;
}

export class DataDirectoryInUseError extends Error {
  override name = 'DataDirectoryInUseError';
  constructor(
    readonly dataDir: string,
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
    reason: string,
  ) {
    super(
      `the embedded database in ${dataDir} is in use: ${reason}. PGlite serves one process at a time, and a second one opening the same directory corrupts it. Stop the other process first (the server: Ctrl-C or SIGTERM), or set DATABASE_URL to a PostgreSQL server that several processes can share.`,
    );
  }
}

export interface DataDirectoryLock {
  path: string;
  release(): Promise<void>;
}

/** Lock files this process holds, by path: a second open in the same process is refused too. */
const held = new Map<string, string>();
let exitHookInstalled = false;

export function lockPathOf(dataDir: string): string {
  const absolute = resolve(dataDir);
  return resolve(absolute, '..', `${basename(absolute)}.lock`);
}

function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function describe(holder: LockHolder): string {
  return `process ${holder.pid} (${holder.command}, since ${holder.since}) on ${holder.host === hostname() ? 'this host' : `host ${holder.host}`}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why the holder still holds the lock, or undefined when the lock is stale and may be taken over. */
function liveHolder(holder: LockHolder, path: string): string | undefined {
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return undefined;
  if (holder.host !== hostname())
    return `${describe(holder)} took it, and whether that process still runs cannot be checked from here; if it does not, delete ${path}`;
  const bootId = currentBootId();
  if (holder.bootId && bootId && holder.bootId !== bootId) return undefined;
  if (holder.pid === process.pid)
    // Our own pid in a lock this process did not take: an earlier process (a container's pid 1
    // restarted) that ended without releasing it.
    return held.get(path) === holder.token ? 'this process has it open already' : undefined;
  return processAlive(holder.pid) ? `${describe(holder)} has it open` : undefined;
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockHolder;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Unreadable content: written by nothing we know, so it protects nothing.
    return { pid: 0, host: hostname(), command: 'unknown', since: 'unknown', token: 'unreadable' };
  }
}

/** Creates `path` holding `content` only if it does not exist, whole or not at all (a link is atomic). */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const draft = `${path}.${process.pid}.${randomUUID()}`;
  await writeFile(draft, content, { mode: 0o600 });
  try {
    await link(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(draft).catch(() => {});
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A process ending without closing (process.exit on a fatal error) leaves no lock behind;
  // its directory recovers like after a kill.
  process.once('exit', () => {
    for (const [path, token] of held) {
      try {
        if ((JSON.parse(readFileSync(path, 'utf8')) as LockHolder).token === token) unlinkSync(path);
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Takes the exclusive lock of an embedded data directory (the directory's parent must exist),
 * or throws DataDirectoryInUseError naming the holder.
 */
export async function lockDataDirectory(
  dataDir: string,
  command = basename(process.argv[1] ?? 'node'),
): Promise<DataDirectoryLock> {
  const path = lockPathOf(dataDir);
  const bootId = currentBootId();
  const mine: LockHolder = {
    pid: process.pid,
    host: hostname(),
    ...(bootId ? { bootId } : {}),
    command,
    since: new Date().toISOString(),
    token: randomUUID(),
  };
  const content = `${JSON.stringify(mine, null, 2)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(path, content)) {
      held.set(path, mine.token);
      installExitHook();
      return {
        path,
        async release() {
          if (held.get(path) !== mine.token) return;
          held.delete(path);
          if ((await readHolder(path))?.token === mine.token) await unlink(path).catch(() => {});
        },
      };
    }
    const holder = await readHolder(path);
    if (!holder) continue;
    const reason = liveHolder(holder, path);
    if (reason) throw new DataDirectoryInUseError(resolve(dataDir), path, holder, reason);
    await takeOver(path, holder);
  }
  throw new DataDirectoryInUseError(resolve(dataDir), path, undefined, `other processes keep taking ${path}`);
}

/**
 * Removes a stale lock. Two processes may find the same stale lock at once; a second lock file
 * decides which of them removes it, so neither removes the lock the other has just taken.
 */
async function takeOver(path: string, stale: LockHolder): Promise<void> {
  const arbiter = `${path}.takeover`;
  if (!(await createExclusive(arbiter, `${process.pid}\n`))) {
    // Another process is taking over right now; if it died doing so, its arbiter is stale.
    const pid = Number((await readFile(arbiter, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) await unlink(arbiter).catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    return;
  }
  try {
    if ((await readHolder(path))?.token === stale.token) await unlink(path).catch(() => {});
  } finally {
    await unlink(arbiter).catch(() => {});
  }
}
