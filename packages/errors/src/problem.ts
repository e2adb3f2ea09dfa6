import { type ErrorCode, errorCatalogue, refusalPrecedence, statusOf } from './codes.ts';

/** One reason a request or record was refused, pointing at the offending field. */
export interface FieldError {
  /** JSON path of the offending field, e.g. `data.penalty.amount` or `relatedPersons.0.id`. */
  path: string;
  /** The national data item (双公示) the field was read from, when the record came in a national format. */
  item?: string;
  code: ErrorCode;
  message: string;
}

/** An RFC 9457 problem document as the platform emits it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const problemContentType = 'application/problem+json';

export function problemTypeUri(code: ErrorCode): string {
  return `urn:credit-platform:problem:${code}`;
}

export function makeProblem(
  code: ErrorCode,
  detail?: string,
  extras: { errors?: FieldError[]; [extension: string]: unknown } = {},
): Problem {
  const { title } = errorCatalogue[code];
  const problem: Problem = { type: problemTypeUri(code), title, status: statusOf(code), code };
  if (detail !== undefined) problem.detail = detail;
  for (const [key, value] of Object.entries(extras)) {
    if (value !== undefined) problem[key] = value;
  }
  return problem;
}

/**
 * Thrown for expected refusals that must cross a function boundary the domain cannot return
 * through (a Fastify hook, a GraphQL resolver). The error handler turns it into problem+json.
 */
export class ProblemError extends Error {
  readonly problem: Problem;
  // Plain fields, not getters: Fastify assigns `code` and `statusCode` on errors it relays.
  code: ErrorCode;
  statusCode: number;

  constructor(
    code: ErrorCode,
    detail?: string,
    extras: { errors?: FieldError[]; [k: string]: unknown } = {},
  ) {
    super(detail ?? errorCatalogue[code].title);
    this.name = 'ProblemError';
    this.problem = makeProblem(code, detail, extras);
    this.code = code;
    this.statusCode = this.problem.status;
  }

  get status(): number {
    return this.problem.status;
  }

  /** Wraps an already-built problem (e.g. a refusal the domain returned as a value). */
  static fromProblem(problem: Problem): ProblemError {
    const { code, detail, type: _type, title: _title, status: _status, ...extras } = problem;
    return new ProblemError(code, detail, extras as { errors?: FieldError[] });
  }

  static fromFieldErrors(errors: FieldError[], detail?: string): ProblemError {
    return new ProblemError(leadingCode(errors), detail ?? summarise(errors), { errors });
  }
}

/** The most significant code among several field errors becomes the problem's own code. */
export function leadingCode(errors: readonly FieldError[]): ErrorCode {
  for (const code of refusalPrecedence) {
    if (errors.some((e) => e.code === code)) return code;
  }
  return errors[0]?.code ?? 'validation_failed';
}

function summarise(errors: readonly FieldError[]): string {
  const first = errors[0];
  if (!first) return 'The request was refused';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${first.path || '(root)'}: ${first.message}${more}`;
}

export function problemFromFieldErrors(errors: FieldError[], detail?: string): Problem {
  return makeProblem(leadingCode(errors), detail ?? summarise(errors), { errors });
}

export function isProblemError(value: unknown): value is ProblemError {
  return value instanceof ProblemError;
}
