import type { RecordReceipt, TransparencyReceipt } from '@credit/schema';
import type { LeafRef } from '../transparency/record-leaf.ts';
import type { WrittenChange } from './change-problems.ts';
import type { ItemResult } from './record-intake.ts';

/** A version that was written (or found identical): what a receipt describes. */
export type Written = NonNullable<ItemResult['outcome']> | WrittenChange;

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
