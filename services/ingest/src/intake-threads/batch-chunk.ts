import { type FieldError, makeProblem, problemFromFieldErrors } from '@credit/errors';
import {
  type BatchResult,
  fromNationalItems,
  type NationalFormat,
  nameItem,
  nationalPresets,
} from '@credit/schema';
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
  /** The items are rows of national data items in this format, converted to records here. */
  format?: NationalFormat;
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
  const provenances = new Map<number, Record<string, string>>();
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
    let value = item.value;
    if (chunk.format) {
      const national = nationalRecord(chunk.format, item.index, value, now);
      if ('refusal' in national) {
        refusals.push(national.refusal);
        continue;
      }
      provenances.set(item.index, national.provenance);
      value = national.record;
    }
    const prepared = intake.prepare(value, chunk.provider, item.index, now);
    if (prepared.ok) pending.push(prepared.item);
    else refusals.push(prepared.refusal);
  }
  const written = await intake.write(chunk.provider.code, pending, refusals, now);
  const answers = written.map((result) => toBatchItem(result, checkpointEveryMs));
  const { format } = chunk;
  if (!format) return answers;
  // The platform's own refusals name the national item each field was read from.
  for (const answer of answers) {
    const errors = answer.problem?.errors;
    if (!errors || !answer.problem) continue;
    const provenance = provenances.get(answer.index);
    answer.problem.errors = errors.map((error) => nameItem(format, error, provenance));
  }
  return answers;
}

/** One item of a national-format batch as a record, or its refusal naming the national items. */
function nationalRecord(
  format: NationalFormat,
  index: number,
  value: unknown,
  now: Date,
): { record: unknown; provenance: Record<string, string> } | { refusal: Refusal } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      refusal: {
        index,
        sourceId: null,
        category: nationalPresets[format].category,
        problem: problemFromFieldErrors([
          {
            path: '',
            code: 'validation_failed',
            message: `an item of ${format} is an object of national data items`,
          },
        ]),
      },
    };
  }
  const converted = fromNationalItems(format, value as Record<string, unknown>, now);
  if (converted.ok) return { record: converted.record, provenance: converted.provenance };
  return {
    refusal: {
      index,
      sourceId: converted.sourceId,
      category: nationalPresets[format].category,
      problem: problemFromFieldErrors(converted.errors as FieldError[]),
    },
  };
}
