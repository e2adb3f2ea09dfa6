import { inTransaction } from '@credit/db';
import { type FieldError, makeProblem, ProblemError, problemFromFieldErrors } from '@credit/errors';
import { principalOf } from '@credit/http';
import {
  prefixedId,
  recordCorrectionSchema,
  recordReceiptSchema,
  recordSubmissionSchema,
  recordViewSchema,
  recordWithdrawalSchema,
  sourceIdSchema,
  validateRecordInput,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkConsents } from '../../domain/consent-check.ts';
import { recordIdOf } from '../../domain/identity.ts';
import { prepareRecord } from '../../domain/prepared-record.ts';
import { correctRecord, withdrawRecord } from '../../domain/record-changes.ts';
import { loggablePaths } from '../../domain/record-intake.ts';
import { checkReferences } from '../../domain/reference-check.ts';
import { activeProvider } from './provider-guard.ts';
import { changeProblem, expectedVersion, isWritten, sendReceipt } from './record-responses.ts';

const bySource = z.strictObject({ sourceId: sourceIdSchema });
const byId = z.strictObject({ id: prefixedId('rec') });
const ifMatch = z.object({ 'if-match': z.string().optional() });

export async function recordRoutes(app: FastifyInstance) {
  const { intake, records, statistics } = app.ingest;

  /** Refusals of corrections are counted in the provider statistics like refused pushes. */
  async function refuse(
    provider: string,
    sourceId: string | null,
    category: string | null,
    error: ProblemError,
  ): Promise<never> {
    app.metrics.records.inc({ outcome: 'refused', code: error.code });
    await statistics.recordRefusals(
      [
        {
          provider,
          sourceId,
          category,
          code: error.code,
          paths: loggablePaths(error.problem),
        },
      ],
      app.clock(),
    );
    throw error;
  }

  app.post(
    '/v1/records',
    {
      config: { auth: { roles: ['provider'] } },
      attachValidation: true,
      schema: {
        tags: ['records'],
        summary: 'Push one credit record',
        description:
          'Idempotent on the provider’s `sourceId`: the identical record again answers 200 with the same id; the same sourceId with other content answers 409 `source_id_conflict`. Prohibited information is refused as `prohibited_field` and never stored.',
        body: recordSubmissionSchema,
        response: { 201: recordReceiptSchema, 200: recordReceiptSchema },
      },
    },
    async (request, reply) => {
      const provider = await activeProvider(app, request);
      const now = app.clock();
      const prepared = intake.prepare(request.body, provider, 0, now);
      const [result] = prepared.ok
        ? await intake.write(provider.code, [prepared.item], [], now)
        : await intake.write(provider.code, [], [prepared.refusal], now);
      if (!result) throw new Error('no result for a single push');
      if (result.problem || !result.outcome)
        throw ProblemError.fromProblem(result.problem ?? makeProblem('internal_error'));
      return sendReceipt(reply, result.status, result.outcome, app.ingest.settings.checkpointEveryMs);
    },
  );

  app.put(
    '/v1/records/by-source/:sourceId',
    {
      config: { auth: { roles: ['provider'] } },
      attachValidation: true,
      schema: {
        tags: ['records'],
        summary: 'Correct a record (appends a new version)',
        description:
          'The subject and catalogue entry cannot change. Send `If-Match: "vN"` to refuse the correction when the record has moved on (412). The identical content again answers 200 without a new version.',
        params: bySource,
        headers: ifMatch,
        body: recordCorrectionSchema,
        response: { 200: recordReceiptSchema },
      },
    },
    async (request, reply) => {
      const provider = await activeProvider(app, request);
      const { sourceId } = request.params as z.infer<typeof bySource>;
      const now = app.clock();
      const validation = validateRecordInput(request.body, 'correction', now);
      if (!validation.ok) {
        return refuse(
          provider.code,
          sourceId,
          null,
          ProblemError.fromFieldErrors(validation.errors as FieldError[]),
        );
      }
      const { record } = validation;
      if (!provider.categories.includes(record.entry.code)) {
        return refuse(
          provider.code,
          sourceId,
          record.entry.code,
          new ProblemError(
            'category_not_permitted',
            `provider '${provider.code}' is not registered to provide ${record.entry.code}`,
          ),
        );
      }
      const item = prepareRecord(app.keyring, provider.code, sourceId, record);
      // A correction meets the same checks as a push: a valid consent for consent-gated fields,
      // and a breach still naming a commitment on file.
      const refuseField = (error: FieldError) =>
        refuse(
          provider.code,
          sourceId,
          record.entry.code,
          ProblemError.fromProblem(problemFromFieldErrors([error])),
        );
      if (record.consentCategories.length > 0) {
        const problem = (await checkConsents(app.db, [item], now)).get(0);
        if (problem)
          return refuseField({ path: problem.path, code: 'consent_invalid', message: problem.detail });
      }
      const reference = (await checkReferences(app.db, [item])).get(0);
      if (reference)
        return refuseField({ path: reference.path, code: 'commitment_not_found', message: reference.detail });
      const expected = expectedVersion((request.headers as z.infer<typeof ifMatch>)['if-match']);
      const outcome = await inTransaction(app.db, (tx) =>
        correctRecord(
          tx,
          app.keyring,
          item,
          { reason: record.reason ?? null, expectedVersion: expected },
          now,
        ),
      );
      if (!isWritten(outcome))
        return refuse(provider.code, sourceId, record.entry.code, changeProblem(outcome));
      return sendReceipt(reply, 200, outcome, app.ingest.settings.checkpointEveryMs);
    },
  );

  app.delete(
    '/v1/records/by-source/:sourceId',
    {
      config: { auth: { roles: ['provider'] } },
      schema: {
        tags: ['records'],
        summary: 'Withdraw a record (appends a withdrawal version; history is kept)',
        description: 'Withdrawing an already withdrawn record answers 200 with its current state.',
        params: bySource,
        headers: ifMatch,
        body: recordWithdrawalSchema,
        response: { 200: recordReceiptSchema },
      },
    },
    async (request, reply) => {
      const provider = await activeProvider(app, request);
      const { sourceId } = request.params as z.infer<typeof bySource>;
      const body = request.body as z.infer<typeof recordWithdrawalSchema>;
      const expected = expectedVersion((request.headers as z.infer<typeof ifMatch>)['if-match']);
      const now = app.clock();
      const outcome = await inTransaction(app.db, (tx) =>
        withdrawRecord(
          tx,
          app.keyring,
          recordIdOf(app.keyring, provider.code, sourceId),
          { reasonCode: body.reasonCode, reason: body.reason, expectedVersion: expected },
          now,
        ),
      );
      if (!isWritten(outcome)) throw changeProblem(outcome);
      return sendReceipt(reply, 200, outcome, app.ingest.settings.checkpointEveryMs);
    },
  );

  async function showRecord(recordId: string, providerCode: string | undefined) {
    const stored = await records.find(recordId);
    // Another provider's record is reported as absent: its existence is not theirs to know.
    if (!stored || (providerCode !== undefined && stored.record.providerCode !== providerCode)) {
      throw new ProblemError('not_found', 'no such record');
    }
    return records.view(stored);
  }

  app.get(
    '/v1/records/:id',
    {
      config: { auth: { roles: ['provider', 'admin'] } },
      schema: {
        tags: ['records'],
        summary: 'A record with all its versions and whether its hash chain verifies',
        description:
          'For the providing department that owns it, or the credit office. Identity numbers are masked.',
        params: byId,
        response: { 200: recordViewSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { id } = request.params as z.infer<typeof byId>;
      if (principal.roles.includes('admin')) return showRecord(id, undefined);
      const provider = await activeProvider(app, request);
      return showRecord(id, provider.code);
    },
  );

  app.get(
    '/v1/records/by-source/:sourceId',
    {
      config: { auth: { roles: ['provider'] } },
      schema: {
        tags: ['records'],
        summary: 'One of the calling provider’s records, by its own sourceId',
        params: bySource,
        response: { 200: recordViewSchema },
      },
    },
    async (request) => {
      const provider = await activeProvider(app, request);
      const { sourceId } = request.params as z.infer<typeof bySource>;
      return showRecord(recordIdOf(app.keyring, provider.code, sourceId), provider.code);
    },
  );
}
