import type { Executor } from '@credit/db';
import type { MeasureRow } from '../repositories/measure-repository.ts';
import type { ProcedureContext } from './entry-writer.ts';
import type { StandingEntry } from './listing-cache.ts';

/** Catalogue classes whose records are dishonesty (失信信息). */
export const dishonestyClasses = ['dishonesty', 'ecommerce_dishonesty'];

/**
 * The subjects among `keys` with current dishonesty on record: a dishonesty record that stands
 * (not withdrawn, not repaired) and is within its display period, of any severity. One query
 * over the subject-led key, whatever the number of subjects.
 */
export async function currentlyDishonest(
  executor: Executor,
  context: Pick<ProcedureContext, 'store'>,
  keys: readonly Buffer[],
  now: Date,
) {
  return context.store.subjects.withStandingRecordOf(keys, dishonestyClasses, now, executor);
}

export interface Verdict {
  subjectKey: Buffer;
  /** The subject's entries in force. */
  entries: readonly Pick<StandingEntry, 'listKind'>[];
  /** The measures those entries trigger. */
  applied: MeasureRow[];
}

const grantsIncentive = (verdict: Verdict) => verdict.applied.some((m) => m.effect === 'priority');

/**
 * Defence in depth behind the red list rules: an incentive (a `priority` measure) is never granted
 * to a subject with current dishonesty, whatever its red rule looked at — a black or watch entry
 * in force, or a current dishonesty record. The database is read only for subjects an incentive
 * would reach, so a check on anyone else costs nothing more.
 */
export async function withoutIncentivesForDishonest<V extends Verdict>(
  executor: Executor,
  context: Pick<ProcedureContext, 'store'>,
  verdicts: V[],
  now: Date,
): Promise<V[]> {
  const reached = verdicts.filter(grantsIncentive);
  if (reached.length === 0) return verdicts;
  const listed = reached.filter((v) => v.entries.some((e) => e.listKind !== 'red'));
  const dishonest = await currentlyDishonest(
    executor,
    context,
    reached.filter((v) => !listed.includes(v)).map((v) => v.subjectKey),
    now,
  );
  for (const verdict of listed) dishonest.add(verdict.subjectKey.toString('hex'));
  return verdicts.map((verdict) =>
    dishonest.has(verdict.subjectKey.toString('hex'))
      ? { ...verdict, applied: verdict.applied.filter((m) => m.effect !== 'priority') }
      : verdict,
  );
}

/** The measures one subject's verdict may apply (see `withoutIncentivesForDishonest`). */
export async function measuresToApply(
  executor: Executor,
  context: Pick<ProcedureContext, 'store'>,
  verdict: Verdict,
  now: Date,
): Promise<MeasureRow[]> {
  const [guarded] = await withoutIncentivesForDishonest(executor, context, [verdict], now);
  return guarded?.applied ?? [];
}
