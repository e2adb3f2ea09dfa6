import { ProblemError } from '@credit/errors';
import type { RecordReceipt } from '@credit/schema';
import type { FastifyReply } from 'fastify';
import { receiptOf, type Written } from '../../domain/record-receipts.ts';

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
