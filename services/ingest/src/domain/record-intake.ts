import type { Keyring } from '@credit/crypto';
import { type Database, type Executor, inTransaction } from '@credit/db';
import { type FieldError, makeProblem, type Problem, problemFromFieldErrors } from '@credit/errors';
import type { Provider } from '@credit/schema';
import { validateRecordInput } from '@credit/schema';
import { intakeOutcomes } from '../db/schema.ts';
import { changeProblem, isWritten, type WrittenChange } from './change-problems.ts';
import { checkConsents } from './consent-check.ts';
import { type PreparedRecord, prepareRecord } from './prepared-record.ts';
import { correctRecord } from './record-changes.ts';
import { type WriteOutcome, writeChunk } from './record-writer.ts';
import { checkReferences } from './reference-check.ts';

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

/** A correction written (or found identical to the current version), or why it was refused. */
export type Correction = { ok: true; outcome: WrittenChange } | { ok: false; problem: Problem };

function categoryNotPermitted(provider: IntakeProvider, category: string): Problem {
  return makeProblem(
    'category_not_permitted',
    `provider '${provider.code}' is not registered to provide ${category}`,
    {
      errors: [
        {
          path: 'category',
          code: 'category_not_permitted',
          message: 'not among the provider’s registered categories',
        },
      ],
    },
  );
}

/**
 * What a correction refers to in the store and must still hold: the consent cited for
 * consent-gated fields, and the commitment a breach names. Pushes meet the same checks in
 * `writeChunk`, set-based.
 */
async function storedFactProblem(
  db: Database,
  item: PreparedRecord,
  now: Date,
): Promise<Problem | undefined> {
  if (item.record.consentCategories.length > 0) {
    const consent = (await checkConsents(db, [item], now)).get(item.index);
    if (consent)
      return problemFromFieldErrors([
        { path: consent.path, code: 'consent_invalid', message: consent.detail },
      ]);
  }
  const reference = (await checkReferences(db, [item])).get(item.index);
  if (reference)
    return problemFromFieldErrors([
      { path: reference.path, code: 'commitment_not_found', message: reference.detail },
    ]);
  return undefined;
}

/** Logs refused items for the provider's statistics (paths only where they say nothing of the content). */
async function logRefusals(
  db: Executor,
  provider: string,
  refusals: readonly Pick<Refusal, 'sourceId' | 'category' | 'problem'>[],
  now: Date,
): Promise<void> {
  if (refusals.length === 0) return;
  await db.insert(intakeOutcomes).values(
    refusals.map((refusal) => ({
      providerCode: provider,
      receivedAt: now,
      outcome: 'refused' as const,
      category: refusal.category,
      code: refusal.problem.code,
      sourceId: refusal.sourceId,
      paths: loggablePaths(refusal.problem),
    })),
  );
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
  /** Catalogue validation (no database) and the provider's permission, for a push or a correction. */
  function admit(
    raw: unknown,
    mode: 'submission' | 'correction',
    provider: IntakeProvider,
    sourceId: string | null,
    index: number,
    now: Date,
  ): Prepared {
    const refused = (category: string | null, problem: Problem): Prepared => ({
      ok: false,
      refusal: { index, sourceId, category, problem },
    });
    const validation = validateRecordInput(raw, mode, now);
    if (!validation.ok)
      return refused(stringField(raw, 'category'), problemFromFieldErrors(validation.errors as FieldError[]));
    const { record } = validation;
    if (!provider.categories.includes(record.entry.code))
      return refused(record.entry.code, categoryNotPermitted(provider, record.entry.code));
    const key = sourceId ?? record.sourceId;
    if (key === undefined) throw new Error('a valid submission names its sourceId');
    return { ok: true, item: prepareRecord(keyring, provider.code, key, record, index) };
  }

  return {
    /** A pushed record, validated and prepared for `write`, or refused. */
    prepare(raw: unknown, provider: IntakeProvider, index: number, now: Date): Prepared {
      return admit(raw, 'submission', provider, stringField(raw, 'sourceId'), index, now);
    },

    /**
     * A correction of the provider's record under `sourceId`: the same validation and permission
     * as a push, then the checks a push meets against the store (a valid consent for
     * consent-gated fields, a breach still naming a commitment on file), then a new version.
     * Refusals are logged and counted like refused pushes.
     */
    async correct(
      raw: unknown,
      provider: IntakeProvider,
      sourceId: string,
      expectedVersion: number | undefined,
      now: Date,
    ): Promise<Correction> {
      const refuse = async (refusal: Refusal): Promise<Correction> => {
        await logRefusals(db, provider.code, [refusal], now);
        countAnswer(count, { status: refusal.problem.status, problem: refusal.problem });
        return { ok: false, problem: refusal.problem };
      };
      const admitted = admit(raw, 'correction', provider, sourceId, 0, now);
      if (!admitted.ok) return refuse(admitted.refusal);
      const { item } = admitted;
      const category = item.record.entry.code;
      const fieldProblem = await storedFactProblem(db, item, now);
      if (fieldProblem) return refuse({ index: 0, sourceId, category, problem: fieldProblem });
      const outcome = await inTransaction(db, (tx) =>
        correctRecord(tx, keyring, item, { reason: item.record.reason ?? null, expectedVersion }, now),
      );
      if (!isWritten(outcome))
        return refuse({ index: 0, sourceId, category, problem: changeProblem(outcome).problem });
      return { ok: true, outcome };
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
          ...refusals,
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
        await logRefusals(tx, provider, logged, now);
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
