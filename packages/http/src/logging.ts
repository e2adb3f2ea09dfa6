import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import pino, { type DestinationStream, type LoggerOptions } from 'pino';

/**
 * Drizzle puts the query's parameters in its error message ("params: …"); parameters may hold
 * names or identity data, so everything from that marker on is cut from messages and stacks.
 */
export function withoutParameters(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const cut = text.indexOf('\nparams:');
  return cut < 0 ? text : `${text.slice(0, cut)}\nparams: [withheld]`;
}

interface SerialisedError {
  type: string;
  code?: string;
  message?: string;
  stack?: string;
  cause?: SerialisedError;
}

export function serialiseError(error: unknown, depth = 0): SerialisedError {
  if (!(error instanceof Error)) return { type: typeof error };
  const out: SerialisedError = { type: error.name };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  const message = withoutParameters(error.message);
  if (message !== undefined) out.message = message;
  const stack = withoutParameters(error.stack);
  if (stack !== undefined) out.stack = stack;
  if (error.cause && depth < 3) out.cause = serialiseError(error.cause, depth + 1);
  return out;
}

/**
 * Request logs name the route pattern, never the URL: paths and queries carry identity numbers
 * (`/v1/subjects/{id}/report`). Bodies and headers are never logged.
 */
export const loggerOptions = (level: string): LoggerOptions => ({
  level,
  base: { service: 'credit-platform' },
  timestamp: pino.stdTimeFunctions.isoTime,
  serializers: {
    req: (request: FastifyRequest) => ({
      method: request.method,
      route: request.routeOptions?.url ?? 'unmatched',
    }),
    res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
    err: serialiseError,
  },
  redact: { paths: ['req.headers', 'headers.authorization', '*.authorization'], remove: true },
});

export function createLogger(level: string, destination?: DestinationStream): FastifyBaseLogger {
  return pino(loggerOptions(level), destination ?? pino.destination({ sync: false })) as FastifyBaseLogger;
}

const requestIdPattern = /^[A-Za-z0-9._-]{8,64}$/;

/** Keeps a caller's X-Request-Id when it looks like an id (so traces join up); otherwise makes one. */
export function requestId(raw: { headers: IncomingHttpHeaders }): string {
  const header = raw.headers['x-request-id'];
  return typeof header === 'string' && requestIdPattern.test(header) ? header : randomUUID();
}
