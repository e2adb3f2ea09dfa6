import { isConnectionError } from '@credit/db';
import { type ErrorCode, makeProblem, type Problem, ProblemError, problemContentType } from '@credit/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_INVALID_TYPE: 'bad_request',
  FST_ERR_BAD_URL: 'bad_request',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
  FST_ERR_ASYNC_CONSTRAINT: 'bad_request',
  FST_ERR_NOT_FOUND: 'not_found',
};

function byStatus(status: number | undefined): ErrorCode | undefined {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 406:
      return 'not_acceptable';
    case 408:
      return 'request_timeout';
    case 412:
      return 'precondition_failed';
    case 413:
      return 'payload_too_large';
    case 414:
      return 'uri_too_long';
    case 415:
      return 'unsupported_media_type';
    case 416:
      return 'range_not_satisfiable';
    case 417:
      return 'expectation_failed';
    case 429:
      return 'rate_limited';
    case 431:
      return 'headers_too_large';
    case 503:
      return 'service_unavailable';
    default:
      return undefined;
  }
}

/** How long a 503 asks the caller to wait: about the time a pool needs to reach a restarted server. */
export const retryAfterSeconds = 5;

/** Turns any error into the problem document the platform answers with. */
export function toProblem(error: FastifyError | Error): { problem: Problem; unexpected: boolean } {
  if (error instanceof ProblemError) return { problem: error.problem, unexpected: false };
  const fastifyError = error as FastifyError;
  const mapped = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
  if (mapped) {
    const detail = mapped === 'malformed_json' ? 'the body is not valid JSON' : fastifyError.message;
    return { problem: makeProblem(mapped, detail), unexpected: false };
  }
  if (error instanceof SyntaxError && (fastifyError.statusCode ?? 0) === 400) {
    return { problem: makeProblem('malformed_json', 'the body is not valid JSON'), unexpected: false };
  }
  if (isConnectionError(error)) {
    // The request may be repeated as is once the database is back; it is not a fault of the code.
    return {
      problem: makeProblem('database_unavailable', 'the database is unavailable; retry shortly'),
      unexpected: false,
    };
  }
  const status = fastifyError.statusCode;
  // A client error from a plugin (static files, rate limits…) stays a client error even when its
  // status has no code of its own: refusing the request is not an unexpected failure.
  const code =
    status && status >= 400 && status < 500
      ? (byStatus(status) ?? 'bad_request')
      : byStatus(status === 503 ? 503 : undefined);
  if (code)
    return {
      problem: makeProblem(code, status && status < 500 ? fastifyError.message : undefined),
      unexpected: false,
    };
  return {
    problem: makeProblem('internal_error', 'An unexpected error occurred; it has been logged'),
    unexpected: true,
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Problem): FastifyReply {
  const body = { ...problem, instance: `urn:credit-platform:request:${request.id}` };
  if (problem.code === 'unauthenticated') reply.header('www-authenticate', 'Bearer realm="credit-platform"');
  if (problem.code === 'invalid_token') {
    reply.header('www-authenticate', 'Bearer realm="credit-platform", error="invalid_token"');
  }
  if (problem.status === 503 && !reply.hasHeader('retry-after'))
    reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(problem.status).type(problemContentType).serializer(JSON.stringify).send(body);
}

/** One error handler and one not-found handler for the whole application. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { problem, unexpected } = toProblem(error);
    if (unexpected) request.log.error({ err: error }, 'unexpected error');
    else if (problem.status >= 500) request.log.warn({ code: problem.code }, 'request refused with 5xx');
    return sendProblem(reply, request, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      request,
      makeProblem('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
