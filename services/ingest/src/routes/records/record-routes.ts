import { inTransaction } from '@credit/db';
import { makeProblem, ProblemError } from '@credit/errors';
import { bodyCheckedByDomain, principalOf, type ZodTypeProvider } from '@credit/http';
import {
  prefixedId,
  recordCorrectionSchema,
  recordReceiptSchema,
  recordSubmissionSchema,
  recordViewSchema,
  recordWithdrawalSchema,
  sourceIdSchema,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { changeProblem, isWritten } from '../../domain/change-problems.ts';
import { recordIdOf } from '../../domain/identity.ts';
import { withdrawRecord } from '../../domain/record-changes.ts';
import { activeProvider } from './provider-guard.ts';
import { expectedVersion, sendReceipt } from './record-http.ts';

const bySource = z.strictObject({ sourceId: sourceIdSchema });
const byId = z.strictObject({ id: prefixedId('rec') });
const ifMatch = z.object({ 'if-match': z.string().optional() });

export async function recordRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { intake, records } = app.ingest;

  app.post(
    '/v1/records',
    {
      config: {
        auth: { roles: ['provider'] },
        problems: ['source_id_conflict'],
        headers: { location: [200, 201], etag: [200, 201] },
      },
      schema: {
        tags: ['records'],
        summary: 'Push one credit record',
        description:
          'Idempotent on the provider’s `sourceId`: the identical record again answers 200 with the same id; the same sourceId with other content answers 409 `source_id_conflict`. Prohibited information is refused as `prohibited_field` and never stored.',
        // Intake validates it, reporting every catalogue problem at once and counting refusals.
        body: bodyCheckedByDomain(recordSubmissionSchema),
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
      config: {
        auth: { roles: ['provider'] },
        problems: ['record_withdrawn', 'record_erased', 'precondition_failed'],
        headers: { location: [200], etag: [200] },
      },
      schema: {
        tags: ['records'],
        summary: 'Correct a record (appends a new version)',
        description:
          'The subject and catalogue entry cannot change. Send `If-Match: "vN"` to refuse the correction when the record has moved on (412). The identical content again answers 200 without a new version.',
        params: bySource,
        headers: ifMatch,
        body: bodyCheckedByDomain(recordCorrectionSchema),
        response: { 200: recordReceiptSchema },
      },
    },
    async (request, reply) => {
      const provider = await activeProvider(app, request);
      const expected = expectedVersion(request.headers['if-match']);
      const correction = await intake.correct(
        request.body,
        provider,
        request.params.sourceId,
        expected,
        app.clock(),
      );
      if (!correction.ok) throw ProblemError.fromProblem(correction.problem);
      return sendReceipt(reply, 200, correction.outcome, app.ingest.settings.checkpointEveryMs);
    },
  );

  app.delete(
    '/v1/records/by-source/:sourceId',
    {
      config: {
        auth: { roles: ['provider'] },
        problems: ['record_withdrawn', 'record_erased', 'precondition_failed'],
        headers: { location: [200], etag: [200] },
      },
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
      const { sourceId } = request.params;
      const body = request.body;
      const expected = expectedVersion(request.headers['if-match']);
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
      const { id } = request.params;
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
      const { sourceId } = request.params;
      return showRecord(recordIdOf(app.keyring, provider.code, sourceId), provider.code);
    },
  );
}
