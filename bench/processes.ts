import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

/** Starts a TypeScript entry point in its own Node process (through tsx, like `npm start`). */
export function startScript(
  path: string,
  env: Record<string, string>,
  args: string[] = [],
  nodeArgs: string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path, ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a script to completion and returns its standard output. */
export function runScript(path: string, env: Record<string, string>, args: string[] = []): Promise<string> {
  const child = startScript(path, env, args);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    err += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${path} exited with ${code}: ${err.slice(-2000)}`)),
    );
  });
}

/** Waits until `url` answers 200 (the process is up), or fails after `timeoutMs`. */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`process exited with ${child.exitCode}: ${stderr.slice(-2000)}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up: ${stderr.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Resident set size of a process in bytes (Linux). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return Number(match?.[1] ?? 0) * 1024;
}

/** Processor seconds a process has used so far, all its threads (user and system, from /proc). */
export async function processorSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // After the command name (in parentheses, which may hold spaces): fields 14 and 15 are utime and stime, in ticks of 1/100 s.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Processor seconds used so far by each PostgreSQL backend connected to `database` on this
 * machine (found by the title the server gives its processes, `postgres: … <user> <database> …`),
 * by pid. The server's shared processes (WAL writer, checkpointer) are not among them.
 */
export async function backendSeconds(database: string): Promise<Map<number, number>> {
  const seconds = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (!/^postgres: /.test(title) || !title.split(' ').includes(database)) continue;
      seconds.set(Number(entry), await processorSeconds(Number(entry)));
    } catch {
      // Gone meanwhile.
    }
  }
  return seconds;
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Benches take their settings from the environment, and run for minutes: any argument (`--help`
 * too) prints what the bench reads and stops, rather than starting a run nobody asked for.
 */
export function refuseArguments(command: string, settings: Record<string, string>): void {
  const args = process.argv.slice(2);
  if (args.length === 0) return;
  const lines = Object.entries(settings).map(([name, what]) => `  ${name.padEnd(28)} ${what}`);
  process.stdout.write(
    `usage: ${command} (settings from the environment; no arguments)\n${lines.join('\n')}\n`,
  );
  process.exit(args.some((a) => a === '--help' || a === '-h') ? 0 : 2);
}
