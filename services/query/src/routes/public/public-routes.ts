import { ProblemError } from '@credit/errors';
import type { ZodTypeProvider } from '@credit/http';
import { publicDisclosureSchema, type ReportItem, usccSchema } from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { entriesInForce } from '../../consumers/sanctions-projection.ts';
import { publiclyDisclosed } from '../../domain/access-policy.ts';
import { redactGated } from '../../domain/consent-scope.ts';
import { itemOf } from '../../domain/report-builder.ts';
import { subjectKey } from '../../domain/subject-key.ts';
import { openSubject, type RecordRow } from '../../repositories/read-model-repository.ts';

const byUscc = z.strictObject({ uscc: usccSchema });

function publicItem(row: RecordRow, now: Date): ReportItem {
  // Persons named on an organisation's record are not public; only their role is. No consent
  // names the public, so consent-gated values never appear here.
  const item = itemOf(
    row,
    row.relatedPersons.map((p) => ({ role: p.role, name: '', id: '' })),
  );
  return redactGated(item, row, { kind: 'public' }, new Map(), now);
}

/**
 * Public disclosure (信用公示), no token: every standing item the catalogue marks public (双公示
 * licences and penalties, court judgement debtors, commitments, honours, grades, …) within its
 * display period, and published list entries, for organisations only. Natural persons are not
 * publicly searchable: their identifiers are answered exactly like unknown ones.
 */
export async function publicRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { readModel, settings } = app.queryService;
  const publicLimit = app.rateLimitFor('public', settings.publicRateLimit);
  app.get(
    '/v1/public/subjects/:uscc',
    {
      config: { auth: 'public', rateLimit: publicLimit },
      schema: {
        tags: ['public'],
        summary: 'Publicly disclosed information about an organisation (双公示)',
        description:
          'Rate-limited per client (RATE_LIMIT_PUBLIC_PER_MINUTE, 60 a minute by default); beyond it 429 with Retry-After.',
        params: byUscc,
        response: { 200: publicDisclosureSchema },
      },
    },
    async (request) => {
      const { uscc } = request.params;
      const key = subjectKey(app.keyring, 'legal_person', uscc);
      const subject = await readModel.subject(key);
      if (!subject || subject.kind === 'natural_person')
        throw new ProblemError('not_found', 'no publicly disclosed organisation has this code');
      const now = app.clock();
      const disclosed = (await readModel.recordsOf(key)).filter((row) => publiclyDisclosed(row, now));
      const registration = disclosed.find((row) => row.category === 'org_registration');
      return {
        subject: {
          uscc,
          kind: subject.kind as 'legal_person',
          name: openSubject(app.keyring, subject).name,
        },
        registration: registration?.data ?? null,
        items: disclosed.map((row) => publicItem(row, now)),
        // Published red and black entries are public for organisations; watch lists are not.
        listEntries: ((await entriesInForce(app.db, [key], now)).get(key.toString('hex')) ?? [])
          .filter((e) => e.listKind !== 'watch')
          .map((e) => ({
            id: e.entryId,
            listKind: e.listKind,
            domain: e.domain,
            validFrom: e.validFrom?.toISOString() ?? null,
            validUntil: e.validUntil?.toISOString() ?? null,
            measures: e.measures,
          })),
        generatedAt: now.toISOString(),
      };
    },
  );
}
