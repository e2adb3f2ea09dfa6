import { ProblemError } from '@credit/errors';
import { jsonHazard } from '@credit/schema';
import type { FastifyBaseLogger } from 'fastify';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { deferredChildLogger, requestId } from './logging.ts';
import { installProblemHandlers, sendProblem, toProblem } from './problem-handler.ts';
import { zodSerializerCompiler, zodValidatorCompiler } from './zod-compiler.ts';

export interface HttpAppOptions {
  logger: FastifyBaseLogger;
  bodyLimit: number;
  /** Check every response against its schema (on in tests). */
  checkResponses?: boolean;
  trustProxy?: boolean;
  timeouts?: {
    /** The whole request must arrive within this. */
    requestMs: number;
    /** Its headers within this (slow-header clients hold sockets otherwise). */
    headersMs: number;
    keepAliveMs: number;
    /** An idle socket is closed after this. */
    connectionMs: number;
  };
}

/** API answers are data, never documents to render or frame. */
const apiSecurityHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};
/** Swagger UI loads its own scripts, styles and inline images from this origin, and nothing else. */
const documentationPolicy =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A Fastify instance with the platform's validation, serialisation, request ids and errors. */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    genReqId: requestId,
    childLoggerFactory: deferredChildLogger,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    trustProxy: options.trustProxy ?? false,
    ...(options.timeouts
      ? {
          requestTimeout: options.timeouts.requestMs,
          keepAliveTimeout: options.timeouts.keepAliveMs,
          connectionTimeout: options.timeouts.connectionMs,
          // Node checks the request and header deadlines on this interval (30 s by default).
          http: {
            headersTimeout: options.timeouts.headersMs,
            connectionsCheckingInterval: Math.min(1000, options.timeouts.headersMs),
          },
        }
      : {}),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: undefined,
    // Bad percent-encoding and over-long path parameters are refused before routing: answer them
    // as problem documents like every other refusal.
    frameworkErrors: (error, request, reply) => sendProblem(reply, request, toProblem(error).problem),
  });
  // Fastify's own JSON parsing (prototype poisoning refused), then the hazards no schema is
  // written for: nesting that would exhaust the stack of code walking it, text PostgreSQL cannot hold.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (error, value) => {
      if (error) return done(error, undefined);
      const hazard = jsonHazard(value);
      if (hazard)
        return done(new ProblemError('bad_request', `the body is not acceptable: ${hazard}`), undefined);
      done(null, value);
    });
  });
  // The same for the path and query string, which reach the database as text too.
  // Hooks that do not wait for anything take the callback form: every request runs them, and an
  // async hook costs a promise each time.
  app.addHook('preValidation', (request, _reply, done) => {
    const hazard = jsonHazard(request.params) ?? jsonHazard(request.query);
    done(hazard ? new ProblemError('bad_request', `the URL is not acceptable: ${hazard}`) : undefined);
  });
  // The API speaks JSON (and NDJSON where a route says so); plain text is refused with 415.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler(options.checkResponses ?? false));
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.headers(apiSecurityHeaders);
    if (request.url.startsWith('/docs')) reply.header('content-security-policy', documentationPolicy);
    reply.header('cache-control', reply.getHeader('cache-control') ?? 'no-store');
    // Time spent in the server, serialisation included, apart from the network (benchmarks, operators).
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
    done(null, payload);
  });
  installProblemHandlers(app);
  return app as unknown as FastifyInstance;
}
