import { ProblemError } from '@credit/errors';
import { selfAuthorisingRoute, type ZodTypeProvider, zodValidatorCompiler } from '@credit/http';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { GraphQLError } from 'graphql';
import { z } from 'zod';

/** Tokens a document may have: parsing and validating it stays cheap whatever is sent. */
export const maxDocumentTokens = 10_000;

const graphqlRequestSchema = z.object({
  query: z
    .string({
      error: 'a query (a GraphQL document, as a string) is required; persisted queries are not supported',
    })
    .min(1, 'the query is empty'),
  variables: z.record(z.string(), z.unknown()).nullish(),
  operationName: z.string().max(200).nullish(),
  extensions: z.record(z.string(), z.unknown()).nullish(),
});

const graphqlGetSchema = z.object({
  query: z
    .string({ error: 'a query (a GraphQL document) is required in the query string' })
    .min(1, 'the query is empty'),
  variables: z.string().optional().describe('JSON object of the variables'),
  operationName: z.string().max(200).optional(),
});

const graphqlErrorSchema = z.looseObject({
  message: z.string(),
  extensions: z.looseObject({ code: z.string(), status: z.number() }),
});

const graphqlResponseSchema = z.object({
  data: z.record(z.string(), z.unknown()).nullable(),
  errors: z.array(graphqlErrorSchema).optional(),
});

/** What an execution answers, as the response schema checks it. */
export type GraphqlAnswer = z.input<typeof graphqlResponseSchema>;

/**
 * Bodies are checked like every other route's, except that a body that is not a GraphQL request
 * (no query, a batch, not an object) is a bad request (400), not a refused record (422).
 */
const requestValidator: FastifySchemaCompiler<unknown> = (route) => {
  const validate = zodValidatorCompiler(route);
  return (data: unknown) => {
    if (route.httpPart === 'body' && Array.isArray(data))
      return {
        error: new ProblemError(
          'bad_request',
          'batched requests are not supported: send one operation per request',
        ),
      };
    const result = validate(data) as { value?: unknown; error?: Error };
    if (result.error instanceof ProblemError && result.error.code === 'validation_failed') {
      const errors = result.error.problem.errors;
      const first = errors?.[0];
      return {
        error: new ProblemError(
          'bad_request',
          first ? `${first.path || 'body'}: ${first.message}` : 'not a GraphQL request',
          { errors },
        ),
      };
    }
    return result;
  };
};

interface DocumentRefusal {
  code: string;
  errors: unknown[];
}

/** Mercurius refuses a document that does not parse or validate, or variables that do not fit. */
function documentRefusal(error: unknown): DocumentRefusal | undefined {
  const refusal = error as Partial<DocumentRefusal> | undefined;
  if (refusal?.code !== 'MER_ERR_GQL_VALIDATION' || !Array.isArray(refusal.errors)) return undefined;
  return refusal as DocumentRefusal;
}

/** graphql-js stops parsing at the token limit with a syntax error of its own wording. */
function tooManyTokens(error: unknown): boolean {
  return error instanceof Error && error.message.includes(`more that ${maxDocumentTokens} tokens`);
}

/**
 * Whether a query is JSON text. When a query does not parse, mercurius tries it as a JSON-encoded
 * syntax tree, so `"query": "12"` reached the limits as the number 12 and failed with a 500
 * (found by the fuzzer), and a forged tree would reach graphql-js unparsed. No GraphQL document
 * is also valid JSON, so such a query is refused as what it is: not GraphQL.
 */
function isJsonText(query: string): boolean {
  try {
    JSON.parse(query);
    return true;
  } catch {
    return false;
  }
}

const notGraphql = new GraphQLError('Syntax Error: the query is not a GraphQL document.');

/** A document refused the GraphQL way: 200, each error with `extensions.code` = `bad_request`. */
function documentErrors(reply: FastifyReply, errors: unknown[]) {
  reply.code(200);
  return {
    data: null,
    errors: errors.map((e) => {
      const graphqlError =
        e instanceof GraphQLError ? e : new GraphQLError(String((e as Error)?.message ?? e));
      return { ...graphqlError.toJSON(), extensions: { code: 'bad_request', status: 400 } };
    }),
  };
}

export type ExecuteGraphql = (
  request: FastifyRequest,
  reply: FastifyReply,
  operation: {
    query: string;
    variables: Record<string, unknown> | undefined;
    operationName: string | undefined;
  },
) => Promise<GraphqlAnswer>;

/**
 * `GET` and `POST /graphql`, the transport in front of mercurius: one operation per request,
 * as JSON (`application/json`; other media types answer 415). A request that is not a GraphQL
 * request answers 400 as problem+json; a document that does not parse or validate answers the
 * GraphQL way (200, `errors[].extensions.code` = `bad_request`), as do refusals inside the
 * execution; an operation beyond the limits answers 400 `query_too_complex` before anything runs.
 */
export async function graphqlTransport(fastify: FastifyInstance, options: { execute: ExecuteGraphql }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  async function run(request: FastifyRequest, reply: FastifyReply, operation: Parameters<ExecuteGraphql>[2]) {
    if (isJsonText(operation.query)) return documentErrors(reply, [notGraphql]);
    try {
      return await options.execute(request, reply, operation);
    } catch (error) {
      const refusal = documentRefusal(error);
      if (!refusal) throw error;
      if (refusal.errors.some(tooManyTokens))
        throw new ProblemError('query_too_complex', `the document has more than ${maxDocumentTokens} tokens`);
      return documentErrors(reply, refusal.errors);
    }
  }

  const common = {
    // The transport is public; each resolver applies the access policy to the bearer token.
    config: { auth: selfAuthorisingRoute },
    validatorCompiler: requestValidator,
  };
  app.post(
    '/graphql',
    {
      ...common,
      schema: {
        tags: ['graphql'],
        summary: 'GraphQL endpoint (schema: docs/graphql/schema.graphql)',
        description:
          'One operation per request. A body that is not a GraphQL request answers 400 `bad_request`; an operation beyond the limits (GRAPHQL_MAX_ALIASES, GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_COST) answers 400 `query_too_complex`.',
        body: graphqlRequestSchema,
        response: { 200: graphqlResponseSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      return run(request, reply, {
        query: body.query,
        variables: body.variables ?? undefined,
        operationName: body.operationName ?? undefined,
      });
    },
  );
  app.get(
    '/graphql',
    {
      ...common,
      schema: {
        tags: ['graphql'],
        summary: 'GraphQL query by GET (the same operation as POST, in the query string)',
        querystring: graphqlGetSchema,
        response: { 200: graphqlResponseSchema },
      },
    },
    async (request, reply) => {
      const query = request.query;
      return run(request, reply, {
        query: query.query,
        variables: parseVariables(query.variables),
        operationName: query.operationName,
      });
    },
  );
}

function parseVariables(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProblemError('bad_request', 'variables: not valid JSON');
  }
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ProblemError('bad_request', 'variables: must be a JSON object');
  return value as Record<string, unknown>;
}
