import { ProblemError } from '@credit/errors';
import { bodyCheckedByDomain, principalOf, type ZodTypeProvider } from '@credit/http';
import {
  declarationAwaitingReviewSchema,
  declarationFalsitySchema,
  declarationReviewSchema,
  declarationSchema,
  declarationStatuses,
  declarationSubmissionSchema,
  industryLabel,
  intermediaryIndustries,
  intermediaryIndustrySchema,
  pageQuerySchema,
  pageSchema,
  prefixedId,
  recordReceiptSchema,
  toPage,
  usccSchema,
  validateDeclaration,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { identifierAad, subjectKeyForToken } from '../../domain/identity.ts';
import { receiptOf } from '../../domain/record-receipts.ts';
import { type DeclarationRow, declarationView } from '../../repositories/declaration-repository.ts';
import { activeProvider } from '../records/provider-guard.ts';
import { mayReadAgency, registeredAgency, supervisingDepartment } from './supervision.ts';

const byUscc = z.strictObject({ uscc: usccSchema });
const byDeclaration = z.strictObject({ uscc: usccSchema, id: prefixedId('dcl') });
const listQuery = pageQuerySchema(z.tuple([prefixedId('dcl')])).extend({
  status: z.enum(declarationStatuses).optional().describe('Only declarations in this state'),
});
const queueQuery = pageQuerySchema(z.tuple([prefixedId('dcl')])).extend({
  industry: intermediaryIndustrySchema.optional().describe('Only this one of the industries supervised'),
});
/** The catalogue entry a declaration found false becomes (seeds/003 三(二)). */
const falseDeclarationEntry = 'intermediary_false_declaration';

/**
 * Self-declaration (信息申报, seeds/003 四(一)、(三)): the agency declares with its commitment in
 * its industry's format; a supervising department accepts (published) or returns it with
 * reasons, and turns a false one into a dishonesty record against the agency and its responsible
 * persons through the ordinary record path.
 */
export async function declarationRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { declarations, intermediaries, intake, records } = app.ingest;

  /**
   * Whom a finding of falsity names: the agency's responsible persons when it is made; on the same
   * finding again, the persons its record named then (one linked or unlinked since would make
   * the identical finding a different record).
   */
  async function personsToName(declaration: DeclarationRow, agencyKey: Buffer) {
    if (declaration.status !== 'found_false')
      return (await intermediaries.responsiblePersons(agencyKey)).map((person) => ({
        role: 'directly_responsible',
        ...person,
      }));
    const [recordId] = declaration.recordIds;
    const stored = recordId ? await records.find(recordId) : undefined;
    const named = stored ? await records.personsNamedBy(stored, 1) : undefined;
    if (!named) throw new Error('a declaration found false names no record of its finding');
    return named;
  }

  app.post(
    '/v1/intermediaries/:uscc/declarations',
    {
      config: { auth: { roles: ['subject'] }, headers: { location: [201] } },
      schema: {
        tags: ['intermediaries'],
        summary: 'Declare qualifications, capabilities, practice and past engagements (the agency itself)',
        description:
          'With the `subject` token of the agency’s own organisation. Prohibited information is refused as `prohibited_field` and consent-gated values (收入、存款…) as `consent_required`, exactly as for records, and never stored; `commitment.accepted` must name every clause of the industry’s format (GET /v1/intermediaries/industries). The declaration waits for its supervising department’s review.',
        params: byUscc,
        // The domain checks it: prohibited fields first, then consent-gated ones, then the shape.
        body: bodyCheckedByDomain(declarationSubmissionSchema),
        response: { 201: declarationSchema },
      },
    },
    async (request, reply) => {
      const { uscc } = request.params;
      const own = subjectKeyForToken(app.keyring, principalOf(request).subjectId);
      const agency = await registeredAgency(app, uscc);
      if (!own?.equals(agency.subjectKey))
        throw new ProblemError('forbidden', 'an agency declares for its own organisation only');
      const checked = validateDeclaration(request.body, agency.industry, app.clock());
      if (!checked.ok) throw ProblemError.fromFieldErrors(checked.errors);
      const row = await declarations.submit(agency, checked.declaration, app.clock());
      reply.code(201).header('location', `/v1/intermediaries/${uscc}/declarations/${row.declarationId}`);
      return declarationView(row, uscc);
    },
  );

  app.get(
    '/v1/intermediaries/:uscc/declarations',
    {
      config: { auth: { roles: ['subject', 'provider', 'admin'] } },
      schema: {
        tags: ['intermediaries'],
        summary: 'An agency’s declarations, oldest first',
        description: 'For the agency itself, a department supervising its industry, and the credit office.',
        params: byUscc,
        querystring: listQuery,
        response: { 200: pageSchema(declarationSchema) },
      },
    },
    async (request) => {
      const { uscc } = request.params;
      const agency = await registeredAgency(app, uscc);
      await mayReadAgency(app, request, agency);
      const { cursor, limit, status } = request.query;
      const rows = await declarations.list(
        agency.subjectKey,
        status ? [status] : undefined,
        cursor?.[0],
        limit + 1,
      );
      return toPage(
        rows.map((row) => declarationView(row, uscc)),
        limit,
        (view) => [view.id],
      );
    },
  );

  app.get(
    '/v1/declarations/awaiting-review',
    {
      config: { auth: { roles: ['provider', 'admin'] } },
      schema: {
        tags: ['intermediaries'],
        summary: 'Declarations awaiting your review across the agencies of your industries, oldest first',
        description:
          'A supervising department’s review queue: the submitted declarations of every agency in the industries its registry entry lists (or the one `industry` asked for), oldest first, a page at a time; each names the agency and links to its review (POST /v1/intermediaries/{agency}/declarations/{id}/review). A department supervising no industry, or not the one asked for, is refused 403 `department_not_permitted`; the credit office reads every industry.',
        querystring: queueQuery,
        response: { 200: pageSchema(declarationAwaitingReviewSchema) },
      },
    },
    async (request) => {
      const { cursor, limit, industry } = request.query;
      let industries = industry ? [industry] : [...intermediaryIndustries];
      if (!principalOf(request).roles.includes('admin')) {
        const provider = await activeProvider(app, request);
        if (industry) await supervisingDepartment(app, request, industry);
        else if (provider.industries.length === 0)
          throw new ProblemError(
            'department_not_permitted',
            `department '${provider.code}' supervises no industry`,
          );
        else industries = provider.industries;
      }
      const rows = await declarations.awaitingReview(industries, cursor?.[0], limit + 1);
      return toPage(
        rows.map(({ declaration, agencyName, subject }) => ({
          ...declarationView(
            declaration,
            app.keyring.decrypt(subject.keyId, subject.identifierCipher, identifierAad(subject.subjectKey)),
          ),
          agencyName,
        })),
        limit,
        (view) => [view.id],
      );
    },
  );

  app.get(
    '/v1/intermediaries/:uscc/declarations/:id',
    {
      config: { auth: { roles: ['subject', 'provider', 'admin'] } },
      schema: {
        tags: ['intermediaries'],
        summary: 'One declaration and its review',
        params: byDeclaration,
        response: { 200: declarationSchema },
      },
    },
    async (request) => {
      const { uscc, id } = request.params;
      const agency = await registeredAgency(app, uscc);
      await mayReadAgency(app, request, agency);
      const row = await declarations.find(agency.subjectKey, id);
      if (!row) throw new ProblemError('not_found', 'no such declaration');
      return declarationView(row, uscc);
    },
  );

  app.post(
    '/v1/intermediaries/:uscc/declarations/:id/review',
    {
      config: { auth: { roles: ['provider'] }, problems: ['invalid_state'] },
      schema: {
        tags: ['intermediaries'],
        summary: 'Accept a declaration (it is published) or return it with reasons',
        description:
          'Only a department supervising the agency’s industry (403 `department_not_permitted`); only a submitted declaration (409 `invalid_state`).',
        params: byDeclaration,
        body: declarationReviewSchema,
        response: { 200: declarationSchema },
      },
    },
    async (request) => {
      const { uscc, id } = request.params;
      const agency = await registeredAgency(app, uscc);
      const department = await supervisingDepartment(app, request, agency.industry);
      const result = await declarations.review(
        agency.subjectKey,
        id,
        request.body,
        department.code,
        app.clock(),
      );
      if (!result) throw new ProblemError('not_found', 'no such declaration');
      if (!result.ok)
        throw new ProblemError('invalid_state', `the declaration is ${result.status}, not submitted`);
      return declarationView(result.row, uscc);
    },
  );

  app.post(
    '/v1/intermediaries/:uscc/declarations/:id/falsity',
    {
      config: { auth: { roles: ['provider'] }, problems: ['invalid_state'] },
      schema: {
        tags: ['intermediaries'],
        summary:
          'Find a declaration false: a serious dishonesty record against the agency and its responsible persons',
        description:
          'A department supervising the agency’s industry records its finding as an `intermediary_false_declaration` record (严重失信) of the agency under its own provider code, naming the agency’s responsible practitioners as directly responsible persons, so records are kept against them too; lists, sanctions and disclosure react as to any record. The declaration is no longer published. The same finding again answers the same record, naming the persons it named then; a declaration another department already found false, or is finding false at that instant, is 409 `invalid_state`.',
        params: byDeclaration,
        body: declarationFalsitySchema,
        response: { 200: declarationSchema.extend({ record: recordReceiptSchema }) },
      },
    },
    async (request) => {
      const { uscc, id } = request.params;
      const agency = await registeredAgency(app, uscc);
      const department = await supervisingDepartment(app, request, agency.industry);
      // A declaration is found false once: another department's finding would be a second
      // serious-dishonesty record of the same facts. The finding is taken before its record is
      // written, so of two departments at the same instant one records it.
      const claim = await declarations.claimFinding(agency.subjectKey, id, department.code);
      if (!claim) throw new ProblemError('not_found', 'no such declaration');
      if ('heldBy' in claim)
        throw new ProblemError(
          'invalid_state',
          claim.row.status === 'found_false'
            ? `the declaration was found false by '${claim.heldBy}' (record ${claim.row.recordIds[0]}); it is not found false again`
            : `'${claim.heldBy}' is recording its finding that the declaration is false; it is not found false twice`,
        );
      const declaration = claim.row;
      const body = request.body;
      const now = app.clock();
      // Given back when no record comes of it, so another department may find it false; once a
      // record is written it stays this department's (the same finding again completes it).
      const giveBack = async (error: unknown): Promise<never> => {
        if (declaration.status !== 'found_false')
          await declarations.releaseFinding(agency.subjectKey, id, department.code).catch(() => undefined);
        throw error;
      };
      const responsible = await personsToName(declaration, agency.subjectKey).catch(giveBack);
      const submission = {
        // One finding per declaration: its record is found again, never doubled.
        sourceId: `false-declaration-${id}`,
        category: falseDeclarationEntry,
        subject: { kind: agency.kind, id: uscc, name: agency.name },
        occurredAt: body.decidedOn,
        data: {
          documentNumber: body.documentNumber,
          authority: department.name,
          decidedOn: body.decidedOn,
          declarationId: id,
          industry: agency.industry,
          facts: body.facts,
        },
        relatedPersons: responsible,
      };
      // Supervising the industry is what entitles the department to record this entry.
      const provider = { code: department.code, categories: [falseDeclarationEntry] };
      const prepared = intake.prepare(submission, provider, 0, now);
      const [result] = await (prepared.ok
        ? intake.write(provider.code, [prepared.item], [], now)
        : intake.write(provider.code, [], [prepared.refusal], now)
      ).catch(giveBack);
      if (!result?.outcome)
        return giveBack(
          result?.problem
            ? ProblemError.fromProblem(result.problem)
            : new Error(`no outcome recording a false ${industryLabel(agency.industry)} declaration`),
        );
      const records = [result.outcome.recordId, ...result.outcome.linked.map((linked) => linked.id)];
      const marked = await declarations.markFalse(
        agency.subjectKey,
        id,
        { facts: body.facts, records },
        department.code,
        now,
      );
      if (!marked?.ok) throw new Error('the declaration vanished while found false');
      return {
        ...declarationView(marked.row, uscc),
        record: receiptOf(result.outcome, app.ingest.settings.checkpointEveryMs),
      };
    },
  );
}
