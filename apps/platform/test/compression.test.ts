import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createTestPlatform, eventually, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  // The document is built on first request, a second of blocked event loop on a busy machine,
  // after which the pressure guard answers 503 for a moment: build it before the tests.
  await platform.request({ url: '/openapi.json' });
  await eventually(
    async () => (await platform.request({ url: '/health' })).statusCode,
    (status) => status === 200,
  );
});
afterAll(async () => platform?.close());

describe('the platform compresses its answers', () => {
  it('sends the catalogue gzipped to a client that accepts it, decoding to the same JSON', async () => {
    const plain = await platform.request({ url: '/v1/catalogue' });
    const zipped = await platform.request({ url: '/v1/catalogue', headers: { 'accept-encoding': 'gzip' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.statusCode).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toContain('accept-encoding');
    expect(JSON.parse(gunzipSync(zipped.rawPayload).toString('utf8'))).toEqual(plain.json());
  });

  it('sends the OpenAPI document with brotli when offered first, a fraction of its size', async () => {
    const plain = await platform.request({ url: '/openapi.json' });
    const compressed = await platform.request({
      url: '/openapi.json',
      headers: { 'accept-encoding': 'br, gzip' },
    });
    expect(compressed.statusCode).toBe(200);
    expect(compressed.headers['content-encoding']).toBe('br');
    expect(compressed.rawPayload.length).toBeLessThan(plain.rawPayload.length / 8);
    expect(JSON.parse(brotliDecompressSync(compressed.rawPayload).toString('utf8'))).toEqual(plain.json());
  });

  it('leaves small answers and clients that accept no encoding alone', async () => {
    const health = await platform.request({ url: '/health', headers: { 'accept-encoding': 'gzip' } });
    expect(health.headers['content-encoding']).toBeUndefined();
    const identity = await platform.request({
      url: '/openapi.json',
      headers: { 'accept-encoding': 'identity' },
    });
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.json().openapi).toBe('3.1.0');
  });
});
