import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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

async function rateLimitPlugin(app: FastifyInstance, settings: RateLimitSettings) {
  // Counters live in this process: behind a load balancer each instance enforces its own share.
  await app.register(rateLimit, { global: false, keyGenerator: callerKey });
  app.decorate('rateLimitFor', (kind: RateLimitClass, max?: number) => ({
    max: max ?? settings[kind],
    timeWindow: windowMs,
    groupId: kind,
  }));
}

export default fp(rateLimitPlugin, { name: 'credit-rate-limits' });
