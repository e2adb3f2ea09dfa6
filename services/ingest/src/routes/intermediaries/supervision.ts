import { ProblemError } from '@credit/errors';
import { principalOf } from '@credit/http';
import { type IntermediaryIndustry, industryLabel, type Provider } from '@credit/schema';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { subjectKeyForToken } from '../../domain/identity.ts';
import type { IntermediaryRow } from '../../repositories/intermediary-repository.ts';
import { activeProvider } from '../records/provider-guard.ts';

/** The calling department, refused (403) unless it is active and supervises `industry`. */
export async function supervisingDepartment(
  app: FastifyInstance,
  request: FastifyRequest,
  industry: IntermediaryIndustry,
): Promise<Provider> {
  const provider = await activeProvider(app, request);
  if (!provider.industries.includes(industry))
    throw new ProblemError(
      'department_not_permitted',
      `department '${provider.code}' does not supervise ${industryLabel(industry)} (${industry})`,
    );
  return provider;
}

/** The registered agency named in the path; 404 when none is registered under this code. */
export async function registeredAgency(app: FastifyInstance, uscc: string): Promise<IntermediaryRow> {
  const agency = await app.ingest.intermediaries.find(app.ingest.intermediaries.keyOf(uscc));
  if (!agency) throw new ProblemError('not_found', 'no intermediary is registered under this code');
  return agency;
}

/**
 * Who may read an agency's file in ingest: the agency itself (its `subject` token), a department
 * supervising its industry, or the credit office.
 */
export async function mayReadAgency(
  app: FastifyInstance,
  request: FastifyRequest,
  agency: IntermediaryRow,
): Promise<void> {
  const principal = principalOf(request);
  if (principal.roles.includes('admin')) return;
  if (principal.roles.includes('subject')) {
    const own = subjectKeyForToken(app.keyring, principal.subjectId);
    if (own?.equals(agency.subjectKey)) return;
    throw new ProblemError('forbidden', 'a subject may only act for its own organisation');
  }
  await supervisingDepartment(app, request, agency.industry);
}
