import { type AddressInfo, connect } from 'node:net';
import { createTestPlatform, eventually, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * Every answer a client can get is a problem document, including those Node's HTTP server gives
 * before Fastify sees a request (an over-long URL or header, broken framing, a stalled request,
 * an unknown expectation, a missing Host). Sent over raw sockets to a listening server.
 */
let platform: TestPlatform;
let port: number;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices, {
    env: { HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '1500' },
  });
  await platform.app.listen({ port: 0, host: '127.0.0.1' });
  port = (platform.app.server.address() as AddressInfo).port;
});
afterAll(async () => platform?.close());

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `text` on a fresh connection and reads what comes back until the server hangs up. */
function exchange(text: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may hang up before reading everything it was sent: what it wrote still counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    setTimeout(() => socket.destroy(), 20_000).unref();
  });
}

function expectProblem(answer: RawAnswer, status: number, code: string) {
  expect(answer.status, `${answer.status} ${answer.body}`).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(answer.body);
  expect(problem).toMatchObject({ status, code, type: `urn:credit-platform:problem:${code}` });
  expect(problem.title).toEqual(expect.any(String));
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
}

describe('answers from the HTTP layer', () => {
  it('answers a 20 KB URL and a 20 KB header with 431 headers_too_large', async () => {
    expectProblem(
      await exchange(`GET /v1/public/subjects/${'9'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      431,
      'headers_too_large',
    );
    expectProblem(
      await exchange(`GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`),
      431,
      'headers_too_large',
    );
  });

  it('answers broken framing with 400 bad_request', async () => {
    const broken = [
      'HELLO\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /graphql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n',
      'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
    ];
    for (const text of broken) expectProblem(await exchange(text), 400, 'bad_request');
  });

  it('answers an HTTP/1.1 request without Host with 400 bad_request', async () => {
    expectProblem(await exchange('GET /health HTTP/1.1\r\nConnection: close\r\n\r\n'), 400, 'bad_request');
  });

  it('answers an expectation it cannot meet with 417 expectation_failed', async () => {
    expectProblem(
      await exchange('GET /health HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n'),
      417,
      'expectation_failed',
    );
  });

  it('answers a request whose headers stall with 408 request_timeout', async () => {
    expectProblem(await exchange('GET /health HTTP/1.1\r\nHost: x\r\n'), 408, 'request_timeout');
  });

  it('still serves well-formed requests on the same server', async () => {
    const answer = await exchange('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'ok' });
  });

  // Last: it shuts the server down.
  it('closes a busy connection after its answer while the server shuts down, and anything still read gets 503 problem+json', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // A request under way (its body half sent) keeps the connection busy through the shutdown.
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = platform.app.close();
    await eventually(
      async () => platform.app.server.listening,
      (listening) => !listening,
    );
    // The rest of that body, and another request behind it on the same connection.
    socket.write(`${body.slice(5)}GET /health HTTP/1.1\r\nHost: x\r\n\r\n`);
    await closed;
    await closing;
    const raw = Buffer.concat(chunks).toString('utf8');
    const answers = raw.split(/(?=HTTP\/1\.1 )/);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200/);
    // The answer in flight tells the client the connection ends (it retries the pipelined request
    // on a new one, RFC 9112 §9.3.2), so the drain is not held by a keep-alive connection.
    expect(answers[0]).toMatch(/\r\nconnection: close\r\n/i);
    // If Node still reads the pipelined request, it is answered as a problem, never as Fastify's JSON.
    for (const later of answers.slice(1)) {
      expect(later).toMatch(/^HTTP\/1\.1 503/);
      expect(later).toMatch(/content-type: application\/problem\+json/i);
      expect(JSON.parse(later.split('\r\n\r\n')[1] ?? '')).toMatchObject({ code: 'service_unavailable' });
    }
  });
});
