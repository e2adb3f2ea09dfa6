import { bearerToken, hasRole, type Principal, type Role, type TokenVerifier } from '@credit/auth';
import { ProblemError } from '@credit/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

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
  });

  app.addHook('onRequest', async (request) => {
    const auth = request.routeOptions.config.auth;
    const header = request.headers.authorization;
    if (auth === 'public' || auth === undefined) {
      // Public routes still recognise a caller who identifies themselves (e.g. for rate limits).
      if (header) {
        try {
          request.principal = await options.verifier.verify(bearerToken(header) ?? '');
        } catch (error) {
          request.principal = undefined;
          request.authError = error instanceof ProblemError ? error : new ProblemError('invalid_token');
        }
      }
      return;
    }
    const token = bearerToken(header);
    if (!token) throw new ProblemError('unauthenticated', 'this operation requires a bearer token');
    const principal = await options.verifier.verify(token);
    if (!hasRole(principal, ...auth.roles)) {
      throw new ProblemError('forbidden', `this operation is for the role(s): ${auth.roles.join(', ')}`);
    }
    request.principal = principal;
  });
}

export default fp(authPlugin, { name: 'credit-auth', fastify: '5.x' });
