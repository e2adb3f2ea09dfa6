import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** The routes that anyone, or any platform at checkout, can call at volume. */
export type RateLimitClass = 'public' | 'checks' | 'listing';

/** Requests a minute each caller may make to each class of route. */
export type RateLimitSettings = Record<RateLimitClass, number>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The route-level rate limit for a class of route, optionally with a service's own maximum. */
    rateLimitFor(kind: RateLimitClass, max?: number): RateLimitOptions;
  }
}

const windowMs = 60_000;

/**
 * Callers are counted by who they are when they say so (a platform's organisation, a subject),
 * so one busy platform behind a shared gateway cannot starve another; anonymous callers by
 * address. The count runs after authentication (both are onRequest hooks, the rate limit's
 * attached to the route, so it runs second) and before the body is read.
 */
function callerKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.subjectId) return `subject:${principal.subjectId}`;
  if (principal?.org) return `org:${principal.org}`;
  if (principal) return `sub:${principal.sub}`;
  return `ip:${request.ip}`;
}

const draftFields = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'] as const;

/**
 * The IETF rate limit fields (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy` names the
 * route's class with its quota and window (`"public";q=30;w=60`), `RateLimit` what is left of it
 * and when it resets (`"public";r=29;t=42`). Clients read one structured field instead of three
 * vendor headers.
 */
function ietfRateLimitFields(reply: FastifyReply, routeLimit: unknown): void {
  const [limit, remaining, reset] = draftFields.map((name) => reply.getHeader(name));
  if (limit === undefined) return;
  for (const name of draftFields) reply.removeHeader(name);
  const policy = (routeLimit as { groupId?: string } | undefined)?.groupId ?? 'default';
  reply.header('ratelimit-policy', `"${policy}";q=${limit};w=${windowMs / 1000}`);
  reply.header('ratelimit', `"${policy}";r=${remaining};t=${reset}`);
}

async function rateLimitPlugin(app: FastifyInstance, settings: RateLimitSettings) {
  // Counters live in this process: behind a load balancer each instance enforces its own share.
  // The plugin counts and writes the draft's three numbers (and Retry-After on 429); the hook
  // below restates them as the IETF RateLimit and RateLimit-Policy fields.
  await app.register(rateLimit, { global: false, keyGenerator: callerKey, enableDraftSpec: true });
  app.addHook('onSend', (request, reply, payload, done) => {
    ietfRateLimitFields(reply, request.routeOptions.config.rateLimit);
    done(null, payload);
  });
  app.decorate('rateLimitFor', (kind: RateLimitClass, max?: number) => ({
    max: max ?? settings[kind],
    timeWindow: windowMs,
    groupId: kind,
  }));
}

export default fp(rateLimitPlugin, { name: 'credit-rate-limits' });
