/** The platform cannot be reached at all: the message names the URL, the cause and what to do. */
export class PlatformUnreachableError extends Error {
  override name = 'PlatformUnreachableError';
}

export interface NetworkFailure {
  /** In words, for the person at the keyboard: "connection refused (nothing listens there)". */
  cause: string;
  /** Whether trying again soon can help (a dropped connection), or only a change can (nothing listens). */
  transient: boolean;
}

const causes: Record<string, NetworkFailure> = {
  ECONNREFUSED: { cause: 'connection refused (nothing listens there)', transient: false },
  ENOTFOUND: { cause: 'host not found', transient: false },
  EAI_AGAIN: { cause: 'host name lookup failed', transient: false },
  EHOSTUNREACH: { cause: 'host unreachable', transient: false },
  ENETUNREACH: { cause: 'network unreachable', transient: false },
  ECONNRESET: { cause: 'connection reset', transient: true },
  EPIPE: { cause: 'connection closed while sending', transient: true },
  ETIMEDOUT: { cause: 'connection timed out', transient: true },
  UND_ERR_SOCKET: { cause: 'connection closed by the other side', transient: true },
  UND_ERR_CONNECT_TIMEOUT: { cause: 'connection timed out', transient: true },
  UND_ERR_HEADERS_TIMEOUT: { cause: 'no answer in time', transient: true },
  UND_ERR_BODY_TIMEOUT: { cause: 'the answer stopped arriving', transient: true },
};

/** What went wrong under a failed `fetch` (its `cause`, or the first of several addresses tried). */
export function networkFailureOf(error: unknown): NetworkFailure {
  let cause = (error as { cause?: unknown }).cause ?? error;
  const several = (cause as { errors?: unknown[] }).errors;
  if (Array.isArray(several) && several.length > 0) cause = several[0];
  const code = (cause as { code?: unknown }).code;
  const known = typeof code === 'string' ? causes[code] : undefined;
  if (known) return known;
  const message = cause instanceof Error ? cause.message : String(cause);
  return { cause: typeof code === 'string' ? `${code}: ${message}` : message, transient: false };
}

export type CallOutcome = { response: Response } | { failure: NetworkFailure };

/** `fetch` that answers a network failure in words instead of throwing `fetch failed`. */
export async function callPlatform(url: string, init: RequestInit = {}): Promise<CallOutcome> {
  try {
    return { response: await fetch(url, init) };
  } catch (error) {
    return { failure: networkFailureOf(error) };
  }
}

/** The error for a platform that cannot be reached: the URL, the cause, and what to do (`hint`). */
export function unreachable(url: string, failure: NetworkFailure, hint: string): PlatformUnreachableError {
  return new PlatformUnreachableError(`cannot reach the platform at ${url}: ${failure.cause}. ${hint}`);
}

/** "503 database_unavailable: The database is unavailable" from a problem+json answer, or what there is. */
export async function describeAnswer(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: not the platform's answer
  }
  return describeError(response, body);
}

/** The same for an answer whose body is already read: parsed JSON, or the text that was not JSON. */
export function describeError(response: Response, body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const problem = body as { code?: string; detail?: string; title?: string };
    const words = [problem.code, problem.detail ?? problem.title].filter(Boolean).join(': ');
    if (words) return `${response.status} ${words}`;
  }
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  const type = response.headers.get('content-type')?.split(';')[0] ?? 'no content type';
  return `${response.status} ${response.statusText} (${type}${text ? `: ${text.slice(0, 80).replace(/\s+/g, ' ')}` : ''})`;
}
