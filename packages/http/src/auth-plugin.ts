import { bearerToken, hasRole, type Principal, type Role, type TokenVerifier } from '@credit/auth';
import { ProblemError } from '@credit/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { attachRouteHook } from './route-hooks.ts';

/** Every route states who may call it; a route without a statement does not start. */
export type RouteAuth = 'public' | { roles: readonly Role[] };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    /** Why a token presented on a public route was not accepted (GraphQL reports it per field). */
    authError: ProblemError | undefined;
  }
  interface FastifyInstance {
    /** The declared access of every route, for documentation and the auth matrix tests. */
    routeAccess: RouteAccess[];
    verifier: TokenVerifier;
  }
}

export interface RouteAccess {
  method: string;
  url: string;
  auth: RouteAuth;
}

/** Routes added by documentation plugins, which cannot carry our config. */
const documentationPrefixes = ['/docs'];

/** Where a token is checked but not required by the transport: the resolvers decide (GraphQL). */
export const selfAuthorisingRoute: RouteAuth = 'public';

/** The principal of an authenticated request; throws when the route forgot to require one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ProblemError('unauthenticated', 'this operation requires a bearer token');
  return request.principal;
}

async function authPlugin(app: FastifyInstance, options: { verifier: TokenVerifier }) {
  app.decorate('verifier', options.verifier);
  app.decorate('routeAccess', [] as RouteAccess[]);
  app.decorateRequest('principal', undefined);
  app.decorateRequest('authError', undefined);

  app.addHook('onRoute', (route) => {
    let auth = route.config?.auth;
    if (!auth && documentationPrefixes.some((prefix) => route.url.startsWith(prefix))) {
      auth = 'public';
      route.config = { ...route.config, auth };
    }
    if (!auth) throw new Error(`route ${route.method} ${route.url} does not declare config.auth`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      app.routeAccess.push({ method, url: route.url, auth });
    }
    // Each route gets a hook bound to its own statement, first among its route-level onRequest
    // hooks, so the rate limit attached after it counts the authenticated caller.
    const hook =
      auth === 'public' ? recogniseCaller(options.verifier) : requireRoles(options.verifier, auth.roles);
    attachRouteHook(route, 'onRequest', hook, 'first');
  });
}

type OnRequest = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

/**
 * Calls `settle` with the token's principal or the reason it was refused: at once when the
 * verifier recalls the token (most requests), after verification otherwise.
 */
function withPrincipal(
  verifier: TokenVerifier,
  token: string,
  settle: (principal: Principal | undefined, error?: unknown) => void,
): void {
  const known = verifier.recall(token);
  if (known) {
    settle(known);
    return;
  }
  verifier.verify(token).then(
    (principal) => settle(principal),
    (error: unknown) => settle(undefined, error),
  );
}

/**
 * Public routes still recognise a caller who identifies themselves (e.g. for rate limits); a
 * token they cannot accept is remembered for GraphQL to report, not refused.
 */
function recogniseCaller(verifier: TokenVerifier): OnRequest {
  const refused = (request: FastifyRequest, error: unknown) => {
    request.principal = undefined;
    request.authError = error instanceof ProblemError ? error : new ProblemError('invalid_token');
  };
  return (request, _reply, done) => {
    const header = request.headers.authorization;
    if (!header) return done();
    let token: string;
    try {
      token = bearerToken(header) ?? '';
    } catch (error) {
      refused(request, error);
      return done();
    }
    withPrincipal(verifier, token, (principal, error) => {
      if (principal) request.principal = principal;
      else refused(request, error);
      done();
    });
  };
}

/** Protected routes: a token the verifier accepts (from its cache without waiting), with one of the roles. */
function requireRoles(verifier: TokenVerifier, roles: readonly Role[]): OnRequest {
  const admit = (request: FastifyRequest, principal: Principal): Error | undefined => {
    if (!hasRole(principal, ...roles))
      return new ProblemError('forbidden', `this operation is for the role(s): ${roles.join(', ')}`);
    request.principal = principal;
    return undefined;
  };
  return (request, _reply, done) => {
    let token: string | undefined;
    try {
      token = bearerToken(request.headers.authorization);
    } catch (error) {
      return done(error as Error);
    }
    if (!token) return done(new ProblemError('unauthenticated', 'this operation requires a bearer token'));
    withPrincipal(verifier, token, (principal, error) =>
      done(
        principal
          ? admit(request, principal)
          : error instanceof Error
            ? error
            : new ProblemError('invalid_token'),
      ),
    );
  };
}

export default fp(authPlugin, { name: 'credit-auth', fastify: '5.x' });
