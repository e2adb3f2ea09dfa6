import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './schema.generated.ts';

export type { components, operations, paths };
export type Schemas = components['schemas'];
/** Every refusal's body (application/problem+json): a stable `code`, the status, and what to do. */
export type Problem = Schemas['Problem'];
export type CreditClient = Client<paths>;

export interface CreditClientOptions {
  /** Where the platform answers, e.g. `https://credit.example.gov.cn` (a trailing slash is fine). */
  baseUrl: string;
  /** A bearer token from the platform's identity provider; public routes need none. */
  token?: string;
  /** Another fetch (a proxy's agent, a recorder); the global one otherwise. */
  fetch?: (request: Request) => Promise<Response>;
}

/**
 * A client typed from the platform's OpenAPI document: paths, parameters, bodies, answers and
 * the problems each route declares. Calls answer `{ data }` or `{ error }` with the `response`.
 */
export function createCreditClient(options: CreditClientOptions): CreditClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** Whether an error answer is the platform's problem document (a proxy in between may answer text). */
export function isProblem(error: unknown): error is Problem {
  if (typeof error !== 'object' || error === null) return false;
  const { code, status } = error as { code?: unknown; status?: unknown };
  return typeof code === 'string' && typeof status === 'number';
}

/**
 * The request options that send records as NDJSON, one JSON document a line: the batch route
 * streams such a body and answers each line, so a large batch is never held whole.
 */
export const ndjson = {
  headers: { 'content-type': 'application/x-ndjson' },
  bodySerializer: (body: unknown): string =>
    (Array.isArray(body) ? body : [body]).map((item) => JSON.stringify(item)).join('\n'),
} as const;
