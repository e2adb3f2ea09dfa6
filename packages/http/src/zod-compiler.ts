import { type FieldError, ProblemError } from '@credit/errors';
import { prohibitedFieldErrors, requestIssuesToErrors } from '@credit/schema';
import type { FastifySchemaCompiler } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { z } from 'zod';

const samePlaceless = new Set<string>(['invalid_identifier', 'purpose_required']);

export function isZodSchema(value: unknown): value is z.ZodType {
  return value instanceof z.ZodType;
}

const checkedByDomain = Symbol('credit.checkedByDomain');

/** A request body the handler hands to its domain unparsed: see `bodyCheckedByDomain`. */
export interface DomainCheckedBody {
  readonly [checkedByDomain]: z.ZodType;
}

/**
 * Declares a body that the domain validates itself, because its validator reports more than the
 * envelope schema can (every catalogue problem at once) and counts what it refuses: the route
 * documents `schema`, but the body reaches the handler as sent, typed `unknown`, and is checked
 * once. The domain's validator must refuse prohibited fields first, as the compiler does for
 * every other body (`validateRecordInput` does).
 */
export function bodyCheckedByDomain(schema: z.ZodType): DomainCheckedBody {
  return { [checkedByDomain]: schema };
}

/** The schema that documents a part: the Zod schema itself, or the one a domain-checked body names. */
export function documentedSchema(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && checkedByDomain in value)
    return (value as DomainCheckedBody)[checkedByDomain];
  return value;
}

const asSent = (value: unknown) => ({ value });

/**
 * Where a refused value sits, as the caller wrote it: body paths bare (`entry.code`), the others
 * under the part's name (`params.id`, `query.limit`, `headers.idempotency-key`).
 */
function pathPrefix(httpPart: string | undefined): string {
  if (httpPart === 'body') return '';
  if (httpPart === 'querystring') return 'query';
  return httpPart ?? '';
}

/**
 * Validates request parts with the route's Zod schemas. Bodies are first searched for
 * prohibited personal information on every route, so it is refused as `prohibited_field`
 * wherever it is sent, before any parsing could keep it. Bad bodies are 422; bad paths,
 * queries and headers are 400, except an invalid identifier or a missing purpose, which are 422
 * wherever they are.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (httpPart === 'body' && documentedSchema(schema) !== schema) return asSent;
  if (!isZodSchema(schema)) throw new Error(`route schema for ${httpPart} must be a Zod schema`);
  return (data: unknown) => {
    if (httpPart === 'body') {
      const errors: FieldError[] = prohibitedFieldErrors(data);
      if (errors.length > 0) {
        return { error: ProblemError.fromFieldErrors(errors) };
      }
    }
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const errors: FieldError[] = requestIssuesToErrors(result.error.issues, pathPrefix(httpPart)).map(
      (error) =>
        httpPart === 'querystring' && error.code === 'unknown_field'
          ? {
              ...error,
              message: `'${error.path.slice('query.'.length)}' is not a query parameter of this route`,
            }
          : error,
    );
    // An identifier or a purpose refused anywhere (path, query or body) is the same refusal on
    // every route: 422 `invalid_identifier` or `purpose_required`.
    if (httpPart === 'body' || errors.some((error) => samePlaceless.has(error.code)))
      return { error: ProblemError.fromFieldErrors(errors) };
    return {
      error: new ProblemError(
        'bad_request',
        errors[0] ? `${errors[0].path}: ${errors[0].message}` : undefined,
        { errors },
      ),
    };
  };
};

const knownJson = Symbol('credit.knownJson');

/**
 * Marks a response whose JSON text the handler already has (a signed report's canonical form,
 * hundreds of kilobytes), so it is sent as that text instead of being serialised a second time.
 * The text must be the JSON of the value; schema checks still see the value.
 */
export function withJson<T extends object>(value: T, json: string): T {
  Object.defineProperty(value, knownJson, { value: json, enumerable: false });
  return value;
}

function toJson(data: unknown): string {
  if (data !== null && typeof data === 'object' && knownJson in data)
    return (data as { [knownJson]: string })[knownJson];
  return JSON.stringify(data);
}

/**
 * Serialises responses with JSON.stringify (or the text `withJson` attached). With `checkResponses` on (tests), each response is
 * also checked against its declared schema so the OpenAPI document cannot drift from behaviour.
 */
export function zodSerializerCompiler(checkResponses: boolean): FastifySerializerCompiler<unknown> {
  return ({ schema, url, method, httpStatus }) => {
    if (!checkResponses || !isZodSchema(schema)) return toJson;
    return (data: unknown) => {
      const result = schema.safeParse(data);
      if (!result.success) {
        throw new Error(
          `response of ${method} ${url} (${httpStatus}) does not match its schema: ${JSON.stringify(result.error.issues.slice(0, 3))}`,
        );
      }
      return toJson(data);
    };
  };
}
