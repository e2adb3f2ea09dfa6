import { ProblemError } from '@credit/errors';
import type { RecordReceipt } from '@credit/schema';
import type { FastifyReply } from 'fastify';
import type { ChangeOutcome } from '../../domain/record-changes.ts';
import type { ItemResult } from '../../domain/record-intake.ts';

type Written = NonNullable<ItemResult['outcome']> | Extract<ChangeOutcome, { kind: 'changed' | 'unchanged' }>;

export function receiptOf(outcome: Written): RecordReceipt {
  return {
    id: outcome.recordId,
    sourceId: outcome.sourceId,
    version: outcome.version,
    status: outcome.status,
    created: outcome.kind === 'created',
    receivedAt: outcome.receivedAt.toISOString(),
    hash: outcome.hash.toString('hex'),
    linkedRecords: outcome.linked,
  };
}

/** Sends a written record: Location and an ETag naming the version (for If-Match on corrections). */
export function sendReceipt(reply: FastifyReply, status: number, outcome: Written): RecordReceipt {
  reply
    .code(status)
    .header('location', `/v1/records/${outcome.recordId}`)
    .header('etag', `"v${outcome.version}"`);
  return receiptOf(outcome);
}

/** Parses `If-Match: "v3"`; undefined when absent. */
export function expectedVersion(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"v(\d{1,9})"\s*$/.exec(header);
  if (!match) throw new ProblemError('precondition_failed', 'If-Match must name a record version, e.g. "v2"');
  return Number(match[1]);
}

export type WrittenChange = Extract<ChangeOutcome, { kind: 'changed' | 'unchanged' }>;

export function isWritten(outcome: ChangeOutcome): outcome is WrittenChange {
  return outcome.kind === 'changed' || outcome.kind === 'unchanged';
}

/** Maps a refused correction or withdrawal to its problem. */
export function changeProblem(outcome: Exclude<ChangeOutcome, WrittenChange>): ProblemError {
  switch (outcome.kind) {
    case 'not_found':
      return new ProblemError('not_found', 'this provider has no record under that sourceId');
    case 'withdrawn':
      return new ProblemError(
        'record_withdrawn',
        'a withdrawn record cannot be corrected; push a new record',
        {
          recordId: outcome.recordId,
        },
      );
    case 'precondition_failed':
      return new ProblemError('precondition_failed', `the record is at version ${outcome.currentVersion}`, {
        currentVersion: outcome.currentVersion,
      });
    case 'immutable':
      return new ProblemError('immutable_field', outcome.detail, {
        errors: [{ path: outcome.path, code: 'immutable_field', message: outcome.detail }],
      });
  }
}
