import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProblemError } from '@credit/errors';
import { jsonHazard } from '@credit/schema';
import type { FastifyBaseLogger } from 'fastify';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { deferredChildLogger, requestId } from './logging.ts';
import { installProblemHandlers, sendProblem, toProblem } from './problem-handler.ts';
import { apiSecurityHeaders, clientErrorHandler, rawProblem } from './raw-problems.ts';
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
    // Start-up work runs in plugins and onReady hooks (worker threads loading, the listing cache,
    // consumers catching up), bounded by this. Fastify's 10 s default killed the server at start
    // on a loaded two-core machine running from the TypeScript sources; a slow start is not a
    // failed one, and the process manager's own health check is the judge of a hung start.
    pluginTimeout: 120_000,
    ...(options.timeouts
      ? {
          requestTimeout: options.timeouts.requestMs,
          keepAliveTimeout: options.timeouts.keepAliveMs,
          connectionTimeout: options.timeouts.connectionMs,
        }
      : {}),
    http: {
      // Node answers a missing Host with an empty 400; the hook below answers it as a problem.
      requireHostHeader: false,
      // Node checks the request and header deadlines on this interval (30 s by default).
      ...(options.timeouts
        ? {
            headersTimeout: options.timeouts.headersMs,
            connectionsCheckingInterval: Math.min(1000, options.timeouts.headersMs),
          }
        : {}),
    },
    // What Node cannot parse (an over-long URL or header, broken framing) or a request that
    // stalls: Fastify's answer is `{"error": …}` JSON.
    clientErrorHandler: clientErrorHandler(options.logger),
    // Fastify's own 503 while closing is `{"error": …}` JSON: the hook below answers it instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: undefined,
    // Bad percent-encoding and over-long path parameters are refused before routing: answer them
    // as problem documents like every other refusal.
    frameworkErrors: (error, request, reply) => sendProblem(reply, request, toProblem(error).problem),
  });
  refuseWhatNodeWouldAnswer(app as unknown as FastifyInstance);
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
  // Closing waits for the requests in flight; the connections they came on must not then hold
  // the shutdown open for their keep-alive time (a client's idle pool holds one for seconds, a
  // proxy's for minutes, past the server's deadline for closing its database cleanly).
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
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

/**
 * The answers Node's HTTP server would give itself, empty or as plain JSON, given as problem
 * documents: a request while the server shuts down, an HTTP/1.1 request without Host, and an
 * `Expect` the server cannot meet.
 */
function refuseWhatNodeWouldAnswer(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (closing) {
      // Requests still arriving on a busy keep-alive connection while the server drains: the
      // load balancer should send them elsewhere.
      reply.header('connection', 'close');
      return done(new ProblemError('service_unavailable', 'the server is shutting down; retry'));
    }
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined)
      return done(new ProblemError('bad_request', 'an HTTP/1.1 request needs a Host header'));
    done();
  });
  app.server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const { problem, body, headers } = rawProblem(
      'expectation_failed',
      'the only expectation this server meets is 100-continue',
    );
    response.writeHead(problem.status, headers);
    response.end(body);
  });
}
