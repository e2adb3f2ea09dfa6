import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findEntry } from '@credit/schema';
import { uscc } from '@credit/testing';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/server-process.ts';

/**
 * The command-line tools as the person at the keyboard meets them, each spawned for real: every
 * one explains itself with --help, a mistake is one line and no stack trace, and a platform that
 * is not there is named by its URL and the cause, at once.
 */
const root = resolve(import.meta.dirname, '../../..');
const cliDir = join(root, 'apps/platform/src/cli');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(file: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const started = Date.now();
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(cliDir, file), ...args],
      { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code) : 0, stdout, stderr, ms: Date.now() - started }),
    );
  });
}

const stackLine = /^\s+at .+:\d+:\d+\)?$/m;

describe('the command-line tools', () => {
  it('each answers --help with its usage, under the npm script that runs it', async () => {
    const scripts = (
      JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const files = (await readdir(cliDir)).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    const runs = await Promise.all(files.map((file) => cli(file, ['--help'])));
    files.forEach((file, i) => {
      const run = runs[i] as CliRun;
      const script = Object.entries(scripts).find(([, command]) =>
        command.endsWith(`apps/platform/src/cli/${file}`),
      )?.[0];
      expect(script, `no npm script runs ${file}`).toBeDefined();
      expect(run.code, `${file}: ${run.stderr}`).toBe(0);
      expect(run.stdout.startsWith(`npm run ${script}`), `${file}: ${run.stdout}`).toBe(true);
      expect(run.stdout).toMatch(/Exit status 0/);
    });
  }, 120_000);

  it('names a mistaken option in one line and points at --help, without a stack trace', async () => {
    const run = await cli('token.ts', ['--role', 'admin', '--colour', 'blue']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("token: Unknown option '--colour'");
    expect(run.stderr).toContain('npm run token -- --help');
    expect(run.stderr).not.toMatch(stackLine);
    expect(run.stdout).toBe('');
  }, 60_000);

  it('says in words that a named file is not there or is a folder, without the system call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'credit-cli-'));
    try {
      const [missing, folder] = await Promise.all([
        cli('verify-report.ts', [join(dir, 'report.pdf'), '--jwks', join(dir, 'jwks.json')]),
        cli('verify-report.ts', [dir, '--jwks', join(dir, 'jwks.json')]),
      ]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe(`verify-report: ${join(dir, 'report.pdf')}: no such file\n`);
      expect(folder.code).toBe(2);
      expect(folder.stderr).toBe(`verify-report: ${dir}: is a folder, not a file\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('finds the platform where HOST and PORT put it, and says at once that nothing answers there', async () => {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'credit-cli-'));
    const file = join(dir, 'licences.ndjson');
    await writeFile(
      file,
      `${JSON.stringify({ sourceId: 'XK-1', category: 'org_licence', subject: { kind: 'legal_person', id: uscc(), name: '淄博某陶瓷有限公司' }, occurredAt: '2025-10-20', data: findEntry('org_licence')?.sample })}\n`,
    );
    const run = await cli(
      'import.ts',
      ['--provider', 'zb-amr', '--category', 'org_licence', '--file', file, '--token', 'unused'],
      { HOST: '127.0.0.1', PORT: String(port) },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`import: cannot reach the platform at http://127.0.0.1:${port}`);
    expect(run.stderr).toContain('connection refused');
    expect(run.stderr).not.toMatch(stackLine);
    // Before, it retried for half a minute; now it only costs the start of the command.
    expect(run.ms).toBeLessThan(20_000);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);
});
