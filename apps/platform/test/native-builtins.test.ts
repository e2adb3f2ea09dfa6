import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the server process', () => {
  it('keeps the built-in methods native: no dependency replaces them when the platform loads', async () => {
    const probe = resolve(import.meta.dirname, 'support/builtins-probe.ts');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', probe], {
      cwd: resolve(import.meta.dirname, '..'),
      timeout: 120_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null')).toEqual([]);
  }, 150_000);
});
