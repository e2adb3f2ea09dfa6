import { newId } from '@credit/crypto';
import type { Executor } from '@credit/db';
import { ProblemError } from '@credit/errors';
import type { ObjectionView } from '@credit/schema';
import type { DeadlineName } from '../db/schema.ts';
import type { ObjectionRow } from '../repositories/objection-repository.ts';
import { deadlineView, earliestAwaited, schedule } from './deadlines.ts';
import { historyOf, Journal, type RepairContext } from './journal.ts';

export type { ObjectionRow } from '../repositories/objection-repository.ts';

const openStatuses = ['submitted', 'accepted', 'under_review', 'upheld'] as const;

/**
 * Rule values (SPEC, seeds/003): answer within 30 days (natural days, moved past a rest day that
 * ends them); correct within 3 working days; tell within 7.
 */
export const objectionRules = { answerDays: 30, correctionWorkingDays: 3, notifyWorkingDays: 7 };

export interface ObjectionTarget {
  subjectKey: Buffer;
  responsibleDepartment: string;
  /**
   * Whether an upheld objection is corrected by the sanctions service on the event (a list entry,
   * a grade rule's evaluation) or waits for its department's correction (a record, an industry
   * evaluation a department pushed).
   */
  selfCorrecting: boolean;
}

/** The item objected to and who answers for it: the provider of a record, the department that identified an entry or graded an evaluation. */
export async function findTarget(
  executor: Executor,
  context: Pick<RepairContext, 'store'>,
  type: 'record' | 'listEntry' | 'evaluation',
  id: string,
): Promise<ObjectionTarget | undefined> {
  const { items } = context.store;
  if (type === 'record') {
    const row = await items.findRecord(id, executor);
    return (
      row && { subjectKey: row.subjectKey, responsibleDepartment: row.providerCode, selfCorrecting: false }
    );
  }
  if (type === 'listEntry') {
    const row = await items.findListEntry(id, executor);
    return (
      row && {
        subjectKey: row.subjectKey,
        responsibleDepartment: row.identifyingDepartment,
        selfCorrecting: true,
      }
    );
  }
  const row = await items.findEvaluation(id, executor);
  return (
    row && {
      subjectKey: row.subjectKey,
      responsibleDepartment: row.department,
      selfCorrecting: row.correctedBy === 'sanctions',
    }
  );
}

export async function fileObjection(
  tx: Executor,
  context: RepairContext,
  subjectKey: Buffer,
  input: {
    target: { type: 'record' | 'listEntry' | 'evaluation'; id: string };
    reason: string;
    evidence?: unknown[];
  },
  actor: string,
): Promise<ObjectionRow> {
  const now = context.clock();
  const target = await findTarget(tx, context, input.target.type, input.target.id);
  if (!target) throw new ProblemError('not_found', `no such ${input.target.type}`);
  if (!target.subjectKey.equals(subjectKey))
    throw new ProblemError('forbidden', 'a subject objects only to items about themselves');
  const open = await context.store.objections.findOpenFor(input.target.id, openStatuses, tx);
  if (open)
    throw new ProblemError('already_under_objection', 'an objection to this item is still open', {
      objectionId: open.objectionId,
    });
  const objectionId = newId('obj', now.getTime());
  const row: ObjectionRow = {
    subjectKey,
    objectionId,
    targetType: input.target.type,
    targetId: input.target.id,
    responsibleDepartment: target.responsibleDepartment,
    status: 'submitted',
    outcome: null,
    reason: input.reason,
    evidence: input.evidence ?? [],
    filedAt: now,
    answerDueAt: await schedule(tx, context, { subjectKey, caseId: objectionId }, 'answer', {
      from: now,
      amount: objectionRules.answerDays,
      unit: 'natural_days',
    }),
    decidedAt: null,
    decisionNote: null,
    correctionDueAt: null,
    correctionAppliedAt: null,
    notifyDueAt: null,
    notifiedAt: null,
    closedAt: null,
    updatedAt: now,
  };
  await context.store.objections.insert(row, tx);
  const journal = new Journal(context, tx, now);
  await journal.change(subjectKey, row.objectionId, 'objection', 'submitted', actor, null, {
    target: input.target,
    dueAt: row.answerDueAt?.toISOString() ?? null,
  });
  journal.event('objection.opened', subjectKey, row.objectionId, {
    objectionId: row.objectionId,
    targetType: row.targetType,
    targetId: row.targetId,
  });
  await journal.flush();
  return row;
}

export async function lockObjection(
  tx: Executor,
  context: Pick<RepairContext, 'store'>,
  id: string,
): Promise<ObjectionRow> {
  const row = await context.store.objections.lock(id, tx);
  if (!row) throw new ProblemError('not_found', 'no such objection');
  return row;
}

async function move(
  tx: Executor,
  context: RepairContext,
  journal: Journal,
  row: ObjectionRow,
  change: Partial<ObjectionRow>,
  actor: string,
  note: string | null,
  now: Date,
) {
  const next = { ...row, ...change, updatedAt: now };
  await context.store.objections.update(row, { ...change, updatedAt: now }, tx);
  await journal.change(row.subjectKey, row.objectionId, 'objection', next.status, actor, note, {
    target: { type: row.targetType, id: row.targetId },
  });
  return next;
}

/** 受理 or not: an inadmissible objection ends at once and lifts the disputed mark. */
export async function admitObjection(
  tx: Executor,
  context: RepairContext,
  row: ObjectionRow,
  admissible: boolean,
  note: string,
  actor: string,
) {
  if (row.status !== 'submitted') throw new ProblemError('invalid_state', `the objection is ${row.status}`);
  const now = context.clock();
  const journal = new Journal(context, tx, now);
  const next = admissible
    ? await move(
        tx,
        context,
        journal,
        await move(tx, context, journal, row, { status: 'accepted' }, actor, note, now),
        { status: 'under_review' },
        actor,
        null,
        now,
      )
    : await move(
        tx,
        context,
        journal,
        row,
        {
          status: 'inadmissible',
          outcome: 'inadmissible',
          closedAt: now,
          decisionNote: note,
          decidedAt: now,
        },
        actor,
        note,
        now,
      );
  if (!admissible) closedEvent(journal, next, 'inadmissible');
  await journal.flush();
  return next;
}

function closedEvent(journal: Journal, row: ObjectionRow, outcome: string): void {
  journal.event('objection.closed', row.subjectKey, row.objectionId, {
    objectionId: row.objectionId,
    targetType: row.targetType,
    targetId: row.targetId,
    outcome,
  });
}

/**
 * The department's answer. Upheld: the item must be corrected within 3 working days (a record by
 * its provider through ingest, an industry evaluation by its department's correction; a list
 * entry or a grade rule's evaluation is corrected by the sanctions service on the event). Rejected: the original stands, the mark is lifted, and the applicant is told at once
 * (the rule allows 7 working days).
 */
export async function decideObjection(
  tx: Executor,
  context: RepairContext,
  row: ObjectionRow,
  outcome: 'upheld' | 'rejected',
  note: string,
  actor: string,
): Promise<ObjectionRow> {
  if (row.status !== 'under_review' && row.status !== 'submitted')
    throw new ProblemError('invalid_state', `the objection is ${row.status}`);
  const now = context.clock();
  const journal = new Journal(context, tx, now);
  const ref = { subjectKey: row.subjectKey, caseId: row.objectionId };
  let next: ObjectionRow;
  if (outcome === 'upheld') {
    const target = await findTarget(tx, context, row.targetType, row.targetId);
    const selfCorrecting = target?.selfCorrecting ?? row.targetType === 'listEntry';
    next = await move(
      tx,
      context,
      journal,
      row,
      {
        status: selfCorrecting ? 'closed' : 'upheld',
        outcome: 'upheld',
        decidedAt: now,
        decisionNote: note,
        correctionDueAt: await schedule(tx, context, ref, 'correction', {
          from: now,
          amount: objectionRules.correctionWorkingDays,
          unit: 'working_days',
        }),
        correctionAppliedAt: selfCorrecting ? now : null,
        closedAt: selfCorrecting ? now : null,
      },
      actor,
      note,
      now,
    );
    journal.event('objection.upheld', row.subjectKey, row.objectionId, {
      objectionId: row.objectionId,
      targetType: row.targetType,
      targetId: row.targetId,
    });
    if (selfCorrecting) closedEvent(journal, next, 'upheld');
  } else {
    next = await move(
      tx,
      context,
      journal,
      row,
      {
        status: 'closed',
        outcome: 'rejected',
        decidedAt: now,
        decisionNote: note,
        notifyDueAt: await schedule(tx, context, ref, 'notification', {
          from: now,
          amount: objectionRules.notifyWorkingDays,
          unit: 'working_days',
        }),
        notifiedAt: now,
        closedAt: now,
      },
      actor,
      note,
      now,
    );
    closedEvent(journal, next, 'rejected');
  }
  await journal.flush();
  return next;
}

/**
 * An upheld objection on a record closes when the provider's correction or withdrawal arrives, one
 * on an industry evaluation when its department's correction does.
 */
export async function correctionArrived(
  tx: Executor,
  context: RepairContext,
  targetId: string,
  receivedAt: Date,
  from: 'ingest' | 'sanctions' = 'ingest',
): Promise<void> {
  const waiting = await context.store.objections.awaitingCorrection(targetId, tx);
  const now = context.clock();
  const journal = new Journal(context, tx, now);
  for (const row of waiting) {
    if (!row.decidedAt || receivedAt.getTime() < row.decidedAt.getTime()) continue;
    const next = await move(
      tx,
      context,
      journal,
      row,
      { status: 'closed', correctionAppliedAt: receivedAt, closedAt: now },
      from,
      'correction applied',
      now,
    );
    closedEvent(journal, next, 'upheld');
  }
  await journal.flush();
}

export async function extendObjection(
  tx: Executor,
  context: RepairContext,
  row: ObjectionRow,
  workingDays: number,
  reason: string,
  actor: string,
) {
  if (row.status === 'closed' || row.status === 'inadmissible')
    throw new ProblemError('invalid_state', 'the objection is closed');
  if (!row.answerDueAt) {
    const [waiting] =
      (await context.store.deadlines.awaitingOf([row.objectionId], tx)).get(row.objectionId)?.values() ?? [];
    throw new ProblemError(
      'calendar_unavailable',
      `the answer deadline awaits the official calendar of ${waiting}; extend it once the credit office has loaded that year`,
      { year: waiting },
    );
  }
  const now = context.clock();
  const journal = new Journal(context, tx, now);
  const answerDueAt = await schedule(
    tx,
    context,
    { subjectKey: row.subjectKey, caseId: row.objectionId },
    'answer',
    { from: row.answerDueAt, amount: workingDays, unit: 'working_days' },
  );
  await context.store.objections.update(row, { answerDueAt, updatedAt: now }, tx);
  await journal.history(
    row.subjectKey,
    row.objectionId,
    'deadline_extended',
    actor,
    `${workingDays} working days: ${reason}`,
  );
  await journal.flush();
  return { ...row, answerDueAt, updatedAt: now };
}

export async function objectionView(
  executor: Executor,
  context: Pick<RepairContext, 'store'>,
  row: ObjectionRow,
  now: Date,
): Promise<ObjectionView> {
  const awaiting = (await context.store.deadlines.awaitingOf([row.objectionId], executor)).get(
    row.objectionId,
  );
  const deadline = (kind: DeadlineName, dueAt: Date | null, metAt: Date | null) =>
    deadlineView(kind, dueAt, metAt, awaiting?.get(kind) ?? null, now);
  const deadlines = [deadline('answer', row.answerDueAt, row.decidedAt)];
  if (row.outcome === 'upheld')
    deadlines.push(deadline('correction', row.correctionDueAt, row.correctionAppliedAt));
  if (row.outcome === 'rejected') deadlines.push(deadline('notification', row.notifyDueAt, row.notifiedAt));
  return {
    id: row.objectionId,
    target: { type: row.targetType, id: row.targetId },
    responsibleDepartment: row.responsibleDepartment,
    status: row.status,
    outcome: row.outcome,
    reason: row.reason,
    filedAt: row.filedAt.toISOString(),
    dueAt: row.answerDueAt?.toISOString() ?? null,
    deadlines,
    overdue: deadlines.some((d) => d.overdue),
    awaitingCalendar: earliestAwaited(deadlines),
    history: await historyOf(context, executor, row.subjectKey, row.objectionId),
  };
}
