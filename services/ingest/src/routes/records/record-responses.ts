import { ProblemError } from '@credit/errors';
import type { RecordReceipt, TransparencyReceipt } from '@credit/schema';
import type { FastifyReply } from 'fastify';
import type { ChangeOutcome } from '../../domain/record-changes.ts';
import type { ItemResult } from '../../domain/record-intake.ts';
import type { LeafRef } from '../../transparency/record-leaf.ts';

type Written = NonNullable<ItemResult['outcome']> | Extract<ChangeOutcome, { kind: 'changed' | 'unchanged' }>;

/**
 * Where a version sits in the log and when a signed checkpoint covers it: the job signs the
 * tree at least once per interval, so the first checkpoint after the due time includes the leaf.
 */
export function transparencyReceipt(
  leaf: LeafRef | undefined,
  receivedAt: Date,
  checkpointEveryMs: number,
): TransparencyReceipt | null {
  if (!leaf) return null;
  return {
    leafIndex: leaf.leafIndex,
    leafHash: leaf.leafHash.toString('hex'),
    checkpointDueBy: new Date(receivedAt.getTime() + checkpointEveryMs).toISOString(),
    proof: `/v1/transparency/proofs/inclusion?leafIndex=${leaf.leafIndex}&treeSize={checkpoint.treeSize}`,
  };
}

export function receiptOf(outcome: Written, checkpointEveryMs: number): RecordReceipt {
  return {
    id: outcome.recordId,
    sourceId: outcome.sourceId,
    version: outcome.version,
    status: outcome.status,
    created: outcome.kind === 'created',
    receivedAt: outcome.receivedAt.toISOString(),
    hash: outcome.hash.toString('hex'),
    linkedRecords: outcome.linked,
    receipt: transparencyReceipt(outcome.leaf, outcome.receivedAt, checkpointEveryMs),
  };
}

/** Sends a written record: Location and an ETag naming the version (for If-Match on corrections). */
export function sendReceipt(
  reply: FastifyReply,
  status: number,
  outcome: Written,
  checkpointEveryMs: number,
): RecordReceipt {
  reply
    .code(status)
    .header('location', `/v1/records/${outcome.recordId}`)
    .header('etag', `"v${outcome.version}"`);
  return receiptOf(outcome, checkpointEveryMs);
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
    case 'erased':
      return new ProblemError('record_erased', 'this record’s content was erased; push a new record', {
        recordId: outcome.recordId,
      });
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
