import type { Keyring } from '@credit/crypto';
import { type Database, inTransaction } from '@credit/db';
import { type FieldError, makeProblem, type Problem, problemFromFieldErrors } from '@credit/errors';
import type { Provider } from '@credit/schema';
import { validateRecordInput } from '@credit/schema';
import { intakeOutcomes } from '../db/schema.ts';
import { type PreparedRecord, prepareRecord } from './prepared-record.ts';
import { type WriteOutcome, writeChunk } from './record-writer.ts';

/** A record refused before it reached the store, with everything needed to report and count it. */
export interface Refusal {
  index: number;
  sourceId: string | null;
  category: string | null;
  problem: Problem;
}

export type Prepared = { ok: true; item: PreparedRecord } | { ok: false; refusal: Refusal };

/**
 * The refused fields' paths worth keeping for statistics. A prohibited field's path names what
 * was attempted (血型, religion…), so prohibited refusals keep their code and nothing else.
 */
export function loggablePaths(problem: Problem): string[] {
  return (problem.errors ?? []).filter((e) => e.code !== 'prohibited_field').map((e) => e.path);
}

/** The per-item answer of a push, single or batched. */
export interface ItemResult {
  index: number;
  sourceId: string | null;
  status: 201 | 200 | 400 | 403 | 409 | 422;
  outcome?: Extract<WriteOutcome, { kind: 'created' | 'unchanged' }>;
  problem?: Problem;
}

function stringField(raw: unknown, key: string): string | null {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const value = (raw as Record<string, unknown>)[key];
    if (typeof value === 'string' && value.length <= 128) return value;
  }
  return null;
}

export function refusalResult(refusal: Refusal): ItemResult {
  return {
    index: refusal.index,
    sourceId: refusal.sourceId,
    status: refusal.problem.status as ItemResult['status'],
    problem: refusal.problem,
  };
}

export function writeResult(outcome: WriteOutcome): ItemResult {
  switch (outcome.kind) {
    case 'created':
    case 'unchanged':
      return {
        index: outcome.index,
        sourceId: outcome.sourceId,
        status: outcome.kind === 'created' ? 201 : 200,
        outcome,
      };
    case 'conflict':
      return {
        index: outcome.index,
        sourceId: outcome.sourceId,
        status: 409,
        problem: makeProblem(
          'source_id_conflict',
          'this sourceId already names a record with other content; correct it with PUT /v1/records/by-source/{sourceId}',
          { recordId: outcome.recordId },
        ),
      };
    case 'refused': {
      const errors: FieldError[] = [{ path: outcome.path, code: outcome.code, message: outcome.detail }];
      return {
        index: outcome.index,
        sourceId: outcome.sourceId,
        status: 422,
        problem: problemFromFieldErrors(errors),
      };
    }
  }
}

/** What intake reads of the pushing provider (a batch sends just this to another thread). */
export type IntakeProvider = Pick<Provider, 'code' | 'categories'>;

/** Counts each item's outcome (created, unchanged, refused by code), e.g. into Prometheus. */
export type OutcomeCounter = (outcome: 'created' | 'unchanged' | 'refused', code: string) => void;

/** Counts one answered item by its status: 201 created, 200 unchanged, anything else refused. */
export function countAnswer(
  count: OutcomeCounter,
  answer: { status: number; problem?: { code: string } },
): void {
  if (answer.status === 201) count('created', '');
  else if (answer.status === 200) count('unchanged', '');
  else count('refused', answer.problem?.code ?? 'unknown');
}

/**
 * The intake pipeline shared by single and batch pushes: catalogue validation (no database),
 * the provider's permission, preparation (keys, fingerprints), then set-based writes.
 */
export function createRecordIntake(db: Database, keyring: Keyring, count: OutcomeCounter = () => {}) {
  return {
    prepare(raw: unknown, provider: IntakeProvider, index: number, now: Date): Prepared {
      const sourceId = stringField(raw, 'sourceId');
      const category = stringField(raw, 'category');
      const validation = validateRecordInput(raw, 'submission', now);
      if (!validation.ok) {
        return {
          ok: false,
          refusal: {
            index,
            sourceId,
            category,
            problem: problemFromFieldErrors(validation.errors as FieldError[]),
          },
        };
      }
      const { record } = validation;
      if (!provider.categories.includes(record.entry.code)) {
        return {
          ok: false,
          refusal: {
            index,
            sourceId,
            category,
            problem: makeProblem(
              'category_not_permitted',
              `provider '${provider.code}' is not registered to provide ${record.entry.code}`,
              {
                errors: [
                  {
                    path: 'category',
                    code: 'category_not_permitted',
                    message: 'not among the provider’s registered categories',
                  },
                ],
              },
            ),
          },
        };
      }
      return {
        ok: true,
        item: prepareRecord(keyring, provider.code, record.sourceId as string, record, index),
      };
    },

    /**
     * Writes prepared records and logs refusals in one transaction: either the chunk and its
     * refusal log are both committed or neither is, so a retried batch converges.
     */
    async write(
      provider: string,
      items: PreparedRecord[],
      refusals: Refusal[],
      now: Date,
    ): Promise<ItemResult[]> {
      const outcomes = await inTransaction(db, async (tx) => {
        const written = items.length > 0 ? await writeChunk(tx, keyring, items, now) : [];
        const refusedByWriter = written.filter((o) => o.kind === 'conflict' || o.kind === 'refused');
        const logged = [
          ...refusals.map((r) => ({ sourceId: r.sourceId, category: r.category, problem: r.problem })),
          ...refusedByWriter.map((o) => {
            const result = writeResult(o);
            const item = items.find((i) => i.index === o.index);
            return {
              sourceId: o.sourceId,
              category: item?.record.entry.code ?? null,
              problem: result.problem as Problem,
            };
          }),
        ];
        if (logged.length > 0) {
          await tx.insert(intakeOutcomes).values(
            logged.map((entry) => ({
              providerCode: provider,
              receivedAt: now,
              outcome: 'refused' as const,
              category: entry.category,
              code: entry.problem.code,
              sourceId: entry.sourceId,
              paths: loggablePaths(entry.problem),
            })),
          );
        }
        return written;
      });
      const results = [...outcomes.map(writeResult), ...refusals.map(refusalResult)].sort(
        (a, b) => a.index - b.index,
      );
      for (const result of results) countAnswer(count, result);
      return results;
    },
  };
}

export type RecordIntake = ReturnType<typeof createRecordIntake>;
