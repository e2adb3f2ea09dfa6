import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { compressionPlugin, createHttpApp, createLogger } from '@credit/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const rows = Array.from({ length: 400 }, (_, i) => ({ index: i, status: 201, sourceId: `SRC-${i}` }));
const ndjsonText = rows.map((row) => JSON.stringify(row)).join('\n');
let app: ReturnType<typeof createHttpApp>;

beforeAll(async () => {
  app = createHttpApp({ logger: createLogger('silent'), bodyLimit: 1024 });
  await app.register(compressionPlugin);
  app.get('/json', { config: { auth: 'public' } }, async () => ({ items: rows }));
  app.get('/ndjson', { config: { auth: 'public' } }, async (_request, reply) =>
    reply.type('application/x-ndjson').send(Readable.from(rows.map((row) => `${JSON.stringify(row)}\n`))),
  );
  app.get('/ndjson-buffered', { config: { auth: 'public' } }, async (_request, reply) =>
    reply.type('application/x-ndjson').send(ndjsonText),
  );
  app.get('/events', { config: { auth: 'public' } }, async (_request, reply) =>
    reply.type('text/event-stream').send(rows.map((row) => `data: ${JSON.stringify(row)}\n\n`).join('')),
  );
  app.get('/pdf', { config: { auth: 'public' } }, async (_request, reply) =>
    reply.type('application/pdf').send(Buffer.from(`%PDF-1.7\n${ndjsonText}`)),
  );
  await app.ready();
});
afterAll(async () => app?.close());

const gzip = { 'accept-encoding': 'gzip' };

describe('response compression', () => {
  it('gzips a JSON answer above the threshold, and it decodes to the same JSON', async () => {
    const plain = await app.inject({ url: '/json' });
    const zipped = await app.inject({ url: '/json', headers: gzip });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toContain('accept-encoding');
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 4);
    expect(JSON.parse(gunzipSync(zipped.rawPayload).toString('utf8'))).toEqual(plain.json());
  });

  it('never compresses NDJSON, streamed or whole, event streams or PDFs', async () => {
    for (const url of ['/ndjson', '/ndjson-buffered', '/events', '/pdf']) {
      const answer = await app.inject({ url, headers: { 'accept-encoding': 'br, gzip, deflate' } });
      expect(answer.statusCode, url).toBe(200);
      expect(answer.headers['content-encoding'], url).toBeUndefined();
    }
    const streamed = await app.inject({ url: '/ndjson', headers: gzip });
    expect(streamed.payload).toBe(`${ndjsonText}\n`);
  });
});
