import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { type ErrorCode, makeProblem, type Problem, problemContentType } from '@credit/errors';
import type { FastifyBaseLogger } from 'fastify';

/**
 * Answers Node's HTTP server gives before Fastify routes a request. Fastify's and Node's own
 * are `{"error": …}` JSON or empty; these are problem documents like every other answer.
 */

/** API answers are data, never documents to render or frame (every answer carries these). */
export const apiSecurityHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** The problem document and headers of an answer written outside Fastify, under a request id of its own. */
export function rawProblem(
  code: ErrorCode,
  detail: string,
): { problem: Problem; body: string; headers: Record<string, string> } {
  const id = randomUUID();
  const problem = { ...makeProblem(code, detail), instance: `urn:credit-platform:request:${id}` };
  const body = JSON.stringify(problem);
  return {
    problem,
    body,
    headers: {
      'content-type': problemContentType,
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      'x-request-id': id,
      ...apiSecurityHeaders,
    },
  };
}

/** What a client error of Node's parser or timers means to the client. */
function problemOf(error: NodeJS.ErrnoException, headerLimit: number): [ErrorCode, string] {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return ['request_timeout', 'the request did not arrive whole within the time allowed'];
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return [
      'headers_too_large',
      `the request line and headers together are limited to ${headerLimit} bytes (a URL this long is refused too)`,
    ];
  return ['bad_request', 'the request is not well-formed HTTP/1.1'];
}

/**
 * Fastify's `clientErrorHandler`: Node could not parse a request, or it did not arrive in time.
 * There is no request or reply, so the answer is written to the socket as it goes out.
 */
export function clientErrorHandler(logger: FastifyBaseLogger, headerLimit = maxHeaderSize) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    // A reset connection is gone: there is nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [code, detail] = problemOf(error, headerLimit);
    const { problem, body, headers } = rawProblem(code, detail);
    // A client's mistake: never above info (and not an error with a stack).
    logger.info({ code, reason: error.code, status: problem.status }, 'request refused before routing');
    // Node keeps the response in progress on the socket; another answer must not follow its
    // headers (a body that breaks framing mid-way while a handler is already answering).
    const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (socket.writable && !inProgress?.headersSent) {
      const head = Object.entries({ ...headers, connection: 'close' })
        .map(([name, value]) => `${name}: ${value}`)
        .join('\r\n');
      socket.write(`HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n${head}\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}
