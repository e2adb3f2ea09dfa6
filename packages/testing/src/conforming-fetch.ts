import { readFileSync } from 'node:fs';
import { type OpenapiDocument, type ResponseChecker, responseChecker } from './openapi-conformance.ts';

/**
 * `fetch` for the tests that talk to a real server over a socket (a child process, a built
 * image): every answer is checked against the committed OpenAPI document before the test sees
 * it, as the in-process tests' injections are. The committed document is the one integrators
 * read, and a drift test keeps it equal to what the routes generate, so an answer that
 * contradicts it fails the test that received it, naming the contradiction.
 */

const documentUrl = new URL('../../../docs/openapi.json', import.meta.url);
let shared: ResponseChecker | undefined;

function checker(): ResponseChecker {
  shared ??= responseChecker(JSON.parse(readFileSync(documentUrl, 'utf8')) as OpenapiDocument);
  return shared;
}

// Answers read as they arrive (event streams) may never end: their status and headers are
// checked, their body is left to the test.
const unbounded = /^text\/event-stream/;

export function conformingFetch(inner: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    const request = input instanceof Request ? input : undefined;
    const url = request?.url ?? String(input);
    const contentType = response.headers.get('content-type') ?? '';
    // `fetch` has already undone any Content-Encoding, so the text is what a client reads.
    const body = unbounded.test(contentType) ? undefined : await response.clone().text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const contradictions = checker().check({
      method: init?.method ?? request?.method ?? 'GET',
      url: new URL(url).pathname,
      statusCode: response.status,
      headers,
      body,
    });
    if (contradictions.length > 0)
      throw new Error(`the answer contradicts docs/openapi.json:\n${contradictions.join('\n')}`);
    return response;
  };
}
