import { Writable } from 'node:stream';
import { createHttpApp, createLogger } from '@credit/http';
import { describe, expect, it } from 'vitest';

/** The lines a logger at `level` writes, parsed. */
function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger(level, destination) };
}

async function appLoggingAt(level: string) {
  const { lines, logger } = capture(level);
  const app = createHttpApp({ logger, bodyLimit: 1024 });
  app.get('/quiet', { config: { auth: 'public' } }, async () => ({ ok: true }));
  app.get('/noted', { config: { auth: 'public' } }, async (request) => {
    request.log.warn({ step: 'noted' }, 'a route noted something');
    request.log.debug('below the level');
    return { ok: true };
  });
  app.get('/failing', { config: { auth: 'public' } }, async () => {
    throw new Error('broken on purpose');
  });
  await app.ready();
  return { app, lines };
}

/** Request loggers are made only when a line is written: what is written still carries the request id. */
describe('request logging', () => {
  it('writes a route’s lines and the error handler’s with the request id, and nothing below the level', async () => {
    const { app, lines } = await appLoggingAt('warn');
    const quiet = await app.inject({ method: 'GET', url: '/quiet' });
    expect(quiet.statusCode).toBe(200);
    expect(lines).toHaveLength(0);

    const noted = await app.inject({
      method: 'GET',
      url: '/noted',
      headers: { 'x-request-id': 'trace-0001-noted' },
    });
    expect(noted.headers['x-request-id']).toBe('trace-0001-noted');
    expect(lines).toEqual([
      expect.objectContaining({ requestId: 'trace-0001-noted', step: 'noted', level: 40 }),
    ]);

    const failing = await app.inject({ method: 'GET', url: '/failing' });
    expect(failing.statusCode).toBe(500);
    const failure = lines.at(-1) as Record<string, unknown>;
    expect(failure.requestId).toBe(failing.headers['x-request-id']);
    expect(failure.level).toBe(50);
    await app.close();
  });

  it('at info, writes Fastify’s request lines with the id and the route pattern, never the URL', async () => {
    const { app, lines } = await appLoggingAt('info');
    const response = await app.inject({ method: 'GET', url: '/quiet?who=someone' });
    const id = response.headers['x-request-id'];
    const ours = lines.filter((line) => line.requestId === id);
    expect(ours.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    expect(JSON.stringify(ours)).not.toContain('someone');
    expect(ours[0]?.req).toEqual({ method: 'GET', route: '/quiet' });
    await app.close();
  });
});
