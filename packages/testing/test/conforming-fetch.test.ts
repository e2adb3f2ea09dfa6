import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformingFetch } from '../src/conforming-fetch.ts';

// A stand-in for the platform on a socket, answering /health as told: the check must pass what
// docs/openapi.json documents and reject what it does not, whatever the socket carried.
let answer: { status: number; type: string; body: string } = {
  status: 200,
  type: 'application/json',
  body: '{}',
};
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((_request, response) => {
    response.writeHead(answer.status, { 'content-type': answer.type });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('conformingFetch', () => {
  const fetchChecked = conformingFetch();

  it('passes an answer the document describes', async () => {
    answer = {
      status: 200,
      type: 'application/json',
      body: JSON.stringify({ status: 'ok', services: ['ingest'], time: new Date().toISOString() }),
    };
    const response = await fetchChecked(`${base}/health`);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it('rejects an undocumented status, a body outside its schema and an undocumented content type', async () => {
    answer = { status: 418, type: 'application/json', body: '{}' };
    await expect(fetchChecked(`${base}/health`)).rejects.toThrow(
      /GET \/health answered 418: status 418 is not documented/,
    );
    answer = { status: 200, type: 'application/json', body: JSON.stringify({ status: 'fine' }) };
    await expect(fetchChecked(`${base}/health`)).rejects.toThrow(/does not fit the application\/json schema/);
    answer = { status: 200, type: 'text/html', body: '<p>ok</p>' };
    await expect(fetchChecked(`${base}/health`)).rejects.toThrow(/content type text\/html is not documented/);
  });

  it('leaves paths the document does not name alone', async () => {
    answer = { status: 418, type: 'text/plain', body: 'teapot' };
    expect((await fetchChecked(`${base}/not-an-operation`)).status).toBe(418);
  });
});
