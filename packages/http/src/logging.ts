import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import pino, {
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type LoggerOptions,
} from 'pino';

/**
 * Drizzle puts the query's parameters in its error message ("params: …"); parameters may hold
 * names or identity data, so everything from that marker on is cut from messages and stacks.
 */
export function withoutParameters(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const cut = text.indexOf('\nparams:');
  return cut < 0 ? text : `${text.slice(0, cut)}\nparams: [withheld]`;
}

export interface SerialisedError {
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

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Whether `level` is written at `threshold`, by pino's level numbers; `silent` enables nothing. */
function enabled(threshold: string, level: string): boolean {
  const values: Record<string, number | undefined> = pino.levels.values;
  return (values[level] ?? Number.POSITIVE_INFINITY) >= (values[threshold] ?? Number.POSITIVE_INFINITY);
}

/**
 * A request's logger that becomes pino's child (request id bound) only when something is logged
 * at an enabled level. Fastify makes a child per request, and at the production level most
 * requests log nothing: building and serialising the child's bindings was ~2.5 % of a check's
 * cycles. Lines that are written are the child's own, unchanged.
 */
class DeferredChildLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  #real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  #write(level: Level, args: unknown[]): void {
    if (this.#child === undefined && !enabled(this.parent.level, level)) return;
    (this.#real()[level] as (...values: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#write('error', args);
  }
  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }
  info(...args: unknown[]): void {
    this.#write('info', args);
  }
  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory`: a deferred child, unless the route sets its own level (the
 * child must then exist to carry it).
 */
export function deferredChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  if (options.level !== undefined && options.level !== logger.level) return logger.child(bindings, options);
  // The class implements the logger's methods with rest parameters; pino's overloads are not expressible on a class.
  return new DeferredChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
