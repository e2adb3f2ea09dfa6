import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirectoryInUseError, type LockHolder, lockDataDirectory, lockPathOf } from '../src/index.ts';

/**
 * The lock that keeps a second process off an embedded data directory. The processes holding
 * it are real: a live child for a holder that still runs, an ended one for a stale lock.
 */
let dir: string;
let dataDir: string;
let sleeper: ChildProcess;

function holderFile(pid: number, extra: Partial<LockHolder> = {}): string {
  return JSON.stringify({
    pid,
    host: hostname(),
    command: 'server.ts',
    since: '2026-01-01T00:00:00.000Z',
    token: `token-${pid}`,
    ...extra,
  });
}

async function endedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid as number;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credit-lock-'));
  dataDir = join(dir, 'pgdata');
  sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
});

afterAll(async () => {
  sleeper?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('the embedded data directory lock', () => {
  it('is exclusive within a process and free again once released', async () => {
    const lock = await lockDataDirectory(dataDir, 'server.ts');
    expect(lock.path).toBe(join(dir, 'pgdata.lock'));
    expect(JSON.parse(await readFile(lock.path, 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
      command: 'server.ts',
    });
    await expect(lockDataDirectory(dataDir)).rejects.toThrow(/this process has it open already/);
    await lock.release();
    await expect(readFile(lock.path)).rejects.toMatchObject({ code: 'ENOENT' });
    await (await lockDataDirectory(dataDir)).release();
  });

  it('refuses at once while another live process holds it, naming the process', async () => {
    await writeFile(lockPathOf(dataDir), holderFile(sleeper.pid as number));
    const refusal = await lockDataDirectory(dataDir, 'verify.ts').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DataDirectoryInUseError);
    expect((refusal as Error).message).toContain(`process ${sleeper.pid} (server.ts`);
    expect((refusal as Error).message).toContain('Stop the other process first');
    // The holder's lock is left as it was.
    expect(JSON.parse(await readFile(lockPathOf(dataDir), 'utf8')).pid).toBe(sleeper.pid);
  });

  it('refuses a lock from another host, which it cannot check, and says which file to delete', async () => {
    await writeFile(lockPathOf(dataDir), holderFile(sleeper.pid as number, { host: 'other-machine' }));
    await expect(lockDataDirectory(dataDir)).rejects.toThrow(
      `on host other-machine took it, and whether that process still runs cannot be checked from here; if it does not, delete ${lockPathOf(dataDir)}`,
    );
  });

  it('takes over a lock left by a process that ended, or from before the machine restarted', async () => {
    await writeFile(lockPathOf(dataDir), holderFile(await endedPid()));
    const lock = await lockDataDirectory(dataDir);
    expect(JSON.parse(await readFile(lock.path, 'utf8')).pid).toBe(process.pid);
    await lock.release();

    await writeFile(lockPathOf(dataDir), holderFile(sleeper.pid as number, { bootId: 'an-earlier-boot' }));
    const afterRestart = await lockDataDirectory(dataDir);
    await afterRestart.release();
  });

  it('gives a stale lock to exactly one of several processes taking it over at once', async () => {
    await writeFile(lockPathOf(dataDir), holderFile(await endedPid()));
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => lockDataDirectory(dataDir)));
    const taken = attempts.filter((a) => a.status === 'fulfilled');
    expect(taken).toHaveLength(1);
    for (const attempt of attempts)
      if (attempt.status === 'rejected') expect(attempt.reason).toBeInstanceOf(DataDirectoryInUseError);
    await (taken[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });
});
