import { ProblemError } from '@credit/errors';
import { principalOf } from '@credit/http';
import type { Provider } from '@credit/schema';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The calling department's registry entry; refused unless registered and active. */
export async function activeProvider(app: FastifyInstance, request: FastifyRequest): Promise<Provider> {
  const principal = principalOf(request);
  if (!principal.org)
    throw new ProblemError('provider_inactive', 'the token names no department (org claim)');
  const provider = await app.ingest.providers.find(principal.org);
  if (!provider)
    throw new ProblemError('provider_inactive', `department '${principal.org}' is not a registered provider`);
  if (provider.status !== 'active')
    throw new ProblemError('provider_inactive', `provider '${provider.code}' is suspended`);
  return provider;
}
