import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The guard is about what happens to a whole process, so each case runs in a process of its
 * own: a failure thrown at it the way the driver or a forgotten promise would, then a timer
 * that prints `alive` if the process is still there.
 */
const root = resolve(import.meta.dirname, '../../..');

function runGuarded(failure: string): Promise<{ code: number | null; stdout: string }> {
  const script = `
import { EventEmitter } from 'node:events';
import { guardProcess } from '@credit/host';
import { createLogger } from '@credit/http';
guardProcess(createLogger('warn'));
// Thrown from a later turn of the event loop, as the driver's socket callbacks do.
setImmediate(() => {
  ${failure}
});
setTimeout(() => console.log('alive'), 200);
`;
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
      (error, stdout) => resolveRun({ code: error ? (error.code as number) : 0, stdout }),
    );
  });
}

describe('process guard', () => {
  it('survives lost database connections and still ends the process on any other failure', async () => {
    const [refused, terminated, bug] = await Promise.all([
      // A promise nobody awaited, rejected because the server refused the connection.
      runGuarded(
        `Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));`,
      ),
      // A driver client told of a shutdown with no listener for its 'error' event.
      runGuarded(
        `new EventEmitter().emit('error', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));`,
      ),
      runGuarded(`Promise.reject(new TypeError('a bug'));`),
    ]);
    expect(refused).toMatchObject({ code: 0 });
    expect(refused.stdout).toContain('alive');
    expect(refused.stdout).toContain('database connection lost outside a request; continuing');
    expect(terminated).toMatchObject({ code: 0 });
    expect(terminated.stdout).toContain('alive');
    expect(bug.code).toBe(1);
    expect(bug.stdout).not.toContain('alive');
    expect(bug.stdout).toContain('unhandled failure; exiting');
    console.log(
      `process guard: 2 of 2 lost-connection failures survived (unhandled rejection, unheard 'error' event), the other failure ended the process with status ${bug.code}`,
    );
  }, 30_000);
});
