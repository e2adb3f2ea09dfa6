import type { FastifyBaseLogger } from 'fastify';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { requestId } from './logging.ts';
import { installProblemHandlers } from './problem-handler.ts';
import { zodSerializerCompiler, zodValidatorCompiler } from './zod-compiler.ts';

export interface HttpAppOptions {
  logger: FastifyBaseLogger;
  bodyLimit: number;
  /** Check every response against its schema (on in tests). */
  checkResponses?: boolean;
  trustProxy?: boolean;
}

/** A Fastify instance with the platform's validation, serialisation, request ids and errors. */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    genReqId: requestId,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: undefined,
  });
  // The API speaks JSON (and NDJSON where a route says so); plain text is refused with 415.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler(options.checkResponses ?? false));
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', reply.getHeader('cache-control') ?? 'no-store');
  });
  installProblemHandlers(app);
  return app as unknown as FastifyInstance;
}
