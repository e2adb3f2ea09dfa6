import { makeProblem } from '@credit/errors';
import type { BatchResult } from '@credit/schema';
import { parseItem, type RawBatchItem } from '../domain/batch-item.ts';
import type { PreparedRecord } from '../domain/prepared-record.ts';
import type { IntakeProvider, ItemResult, RecordIntake, Refusal } from '../domain/record-intake.ts';
import { transparencyReceipt } from '../domain/record-receipts.ts';

/**
 * One transaction's worth of a batch, as the request's thread hands it to whichever thread
 * processes it: the items' text (parsing is part of the work), who pushed them and the time of
 * the write. Plain data, so it crosses to a worker thread by structured clone.
 */
export interface BatchChunk {
  provider: IntakeProvider;
  items: RawBatchItem[];
  nowMs: number;
}

export type BatchItemAnswer = BatchResult['items'][number];

export function toBatchItem(result: ItemResult, checkpointEveryMs: number): BatchItemAnswer {
  const item: BatchItemAnswer = {
    index: result.index,
    sourceId: result.sourceId,
    status: result.status,
  };
  if (result.outcome) {
    item.id = result.outcome.recordId;
    item.version = result.outcome.version;
    const receipt = transparencyReceipt(result.outcome.leaf, result.outcome.receivedAt, checkpointEveryMs);
    if (receipt) item.receipt = receipt;
  }
  if (result.problem) {
    item.problem = { code: result.problem.code };
    if (result.problem.detail) item.problem.detail = result.problem.detail;
    if (result.problem.errors) item.problem.errors = result.problem.errors;
    const recordId = result.problem.recordId;
    if (typeof recordId === 'string') item.id = recordId;
  }
  return item;
}

/**
 * Parses, validates, prepares and writes one chunk in one transaction, and answers each of its
 * items as the batch response shows them: either the chunk and its refusal log are committed or
 * neither is.
 */
export async function answerChunk(
  intake: RecordIntake,
  chunk: BatchChunk,
  checkpointEveryMs: number,
): Promise<BatchItemAnswer[]> {
  const now = new Date(chunk.nowMs);
  const pending: PreparedRecord[] = [];
  const refusals: Refusal[] = [];
  for (const raw of chunk.items) {
    const item = parseItem(raw);
    if ('error' in item) {
      refusals.push({
        index: item.index,
        sourceId: null,
        category: null,
        problem: makeProblem('malformed_json', item.error),
      });
      continue;
    }
    const prepared = intake.prepare(item.value, chunk.provider, item.index, now);
    if (prepared.ok) pending.push(prepared.item);
    else refusals.push(prepared.refusal);
  }
  const written = await intake.write(chunk.provider.code, pending, refusals, now);
  return written.map((result) => toBatchItem(result, checkpointEveryMs));
}
