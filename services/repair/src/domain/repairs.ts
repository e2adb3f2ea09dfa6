import { addMonths, shanghaiDate } from '@credit/calendar';
import { newId } from '@credit/crypto';
import { type Database, type Executor, inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { findEntry, type ListKind, type RepairView, severityRules } from '@credit/schema';
import type { RepairRow } from '../repositories/repair-repository.ts';
import { type CaseRef, deadlineView, earliestAwaited, schedule, workingDaysLeft } from './deadlines.ts';
import { historyOf, Journal, type RepairContext } from './journal.ts';

export type { RepairRow } from '../repositories/repair-repository.ts';

const openStatuses = ['submitted', 'needs_supplement', 'accepted', 'approved'] as const;

/**
 * SPEC rule values (国办发〔2025〕22号 §四): the application is accepted or refused within 3 working
 * days of its receipt, and the applicant has the result within 10 working days of filing, however
 * late it was accepted.
 */
export const repairRules = {
  acceptWorkingDays: 3,
  resultWorkingDays: 10,
  listMinPublicityMonths: { black: 12, watch: 3 } as Partial<Record<ListKind, number>>,
};

/** Both deadlines of an application, counted from its receipt (either may await the calendar). */
async function deadlinesFrom(tx: Executor, context: RepairContext, ref: CaseRef, receivedAt: Date) {
  const period = (amount: number) => ({ from: receivedAt, amount, unit: 'working_days' as const });
  return {
    acceptDueAt: await schedule(tx, context, ref, 'acceptance', period(repairRules.acceptWorkingDays)),
    resultDueAt: await schedule(tx, context, ref, 'result', period(repairRules.resultWorkingDays)),
  };
}

export interface Eligibility {
  subjectKey: Buffer;
  responsibleDepartment: string;
  repairable: boolean;
  eligibleNow: boolean;
  earliestDate: string | null;
  rule: string;
}

/**
 * Whether an item can be repaired and from when (信用修复): dishonesty records of a repairable entry
 * after the minimum publicity period of their severity (minor: once the obligation is performed;
 * general: 3 months; serious: 1 year); black list entries after a year, watch entries after three
 * months of publication. Red entries, non-dishonesty records and entries such as court-published
 * dishonest debtors or industry bans are not repairable here.
 */
export async function eligibility(
  executor: Executor,
  context: Pick<RepairContext, 'store'>,
  type: 'record' | 'listEntry',
  id: string,
  now: Date,
): Promise<Eligibility> {
  if (type === 'record') {
    const row = await context.store.items.findRecord(id, executor);
    if (!row) throw new ProblemError('not_found', 'no such record');
    const entry = findEntry(row.category);
    const base = { subjectKey: row.subjectKey, responsibleDepartment: row.providerCode };
    if (!row.severity || !entry?.repairable || row.status !== 'active') {
      return {
        ...base,
        repairable: false,
        eligibleNow: false,
        earliestDate: null,
        rule: `${row.category} is not repairable`,
      };
    }
    const months = severityRules[row.severity].minPublicityMonths;
    const earliest = addMonths(row.occurredAt, months);
    return {
      ...base,
      repairable: true,
      eligibleNow: earliest.getTime() <= now.getTime(),
      earliestDate: shanghaiDate(earliest),
      rule:
        months === 0
          ? `${row.severity}: once the obligation is performed`
          : `${row.severity}: ${months} months of publicity`,
    };
  }
  const row = await context.store.items.findListEntry(id, executor);
  if (!row) throw new ProblemError('not_found', 'no such list entry');
  const base = { subjectKey: row.subjectKey, responsibleDepartment: row.identifyingDepartment };
  const months = repairRules.listMinPublicityMonths[row.listKind as ListKind];
  if (months === undefined || row.status !== 'published' || !row.validFrom) {
    return {
      ...base,
      repairable: false,
      eligibleNow: false,
      earliestDate: null,
      rule: `a ${row.status} ${row.listKind} entry is not repairable`,
    };
  }
  const earliest = addMonths(row.validFrom, months);
  return {
    ...base,
    repairable: true,
    eligibleNow: earliest.getTime() <= now.getTime(),
    earliestDate: shanghaiDate(earliest),
    rule: `${row.listKind} list: ${months} months after publication`,
  };
}

/**
 * An item is repaired once: an application for an item whose repair took effect, or whose repair
 * is still open, is refused. One refused (not accepted or denied) leaves the item open to a new one.
 */
async function refuseRepeatedRepair(tx: Executor, context: RepairContext, targetId: string): Promise<void> {
  const repaired = await context.store.repairs.findFor(targetId, ['effective'], tx);
  if (repaired)
    throw new ProblemError('already_repaired', 'this item was already repaired', { repairId: repaired });
  const open = await context.store.repairs.findFor(targetId, openStatuses, tx);
  if (open)
    throw new ProblemError('already_under_repair', 'a repair of this item is still open', { repairId: open });
}

export async function fileRepair(
  tx: Executor,
  context: RepairContext,
  subjectKey: Buffer,
  input: { target: { type: 'record' | 'listEntry'; id: string }; evidence: unknown[]; commitment: string },
  actor: string,
): Promise<RepairRow> {
  const now = context.clock();
  // Two applications for one item are decided one after the other: the second sees the first.
  await context.store.items.lock(input.target.type, input.target.id, tx);
  const check = await eligibility(tx, context, input.target.type, input.target.id, now);
  if (!check.subjectKey.equals(subjectKey))
    throw new ProblemError('forbidden', 'a subject repairs only items about themselves');
  await refuseRepeatedRepair(tx, context, input.target.id);
  if (!check.repairable) throw new ProblemError('not_repairable', check.rule);
  if (!check.eligibleNow) {
    throw new ProblemError(
      'repair_not_yet_eligible',
      `repairable from ${check.earliestDate} (${check.rule})`,
      { earliestDate: check.earliestDate },
    );
  }
  const repairId = newId('rpr', now.getTime());
  const row: RepairRow = {
    subjectKey,
    repairId,
    targetType: input.target.type,
    targetId: input.target.id,
    responsibleDepartment: check.responsibleDepartment,
    status: 'submitted',
    evidence: input.evidence,
    commitment: input.commitment,
    filedAt: now,
    ...(await deadlinesFrom(tx, context, { subjectKey, caseId: repairId }, now)),
    pausedAt: null,
    pausedWorkingDaysLeft: null,
    pausedResultWorkingDaysLeft: null,
    acceptedAt: null,
    deadlinesPending: false,
    decidedAt: null,
    decisionNote: null,
    effectiveAt: null,
    updatedAt: now,
  };
  await context.store.repairs.insert(row, tx);
  const journal = new Journal(context, tx, now);
  await journal.change(subjectKey, row.repairId, 'repair', 'submitted', actor, null, {
    target: input.target,
    dueAt: row.acceptDueAt?.toISOString(),
    resultDueAt: row.resultDueAt?.toISOString(),
  });
  await journal.flush();
  return row;
}

export async function lockRepair(
  tx: Executor,
  context: Pick<RepairContext, 'store'>,
  id: string,
): Promise<RepairRow> {
  const row = await context.store.repairs.lock(id, tx);
  if (!row) throw new ProblemError('not_found', 'no such repair application');
  return row;
}

async function move(
  tx: Executor,
  context: RepairContext,
  journal: Journal,
  row: RepairRow,
  change: Partial<RepairRow>,
  actor: string,
  note: string | null,
  now: Date,
) {
  const next = { ...row, ...change, updatedAt: now };
  await context.store.repairs.update(row, { ...change, updatedAt: now }, tx);
  await journal.change(row.subjectKey, row.repairId, 'repair', next.status, actor, note, {
    target: { type: row.targetType, id: row.targetId },
  });
  return next;
}

export type RepairAction = 'accept' | 'not_accept' | 'request_supplement' | 'approve' | 'deny';

/**
 * One step of the procedure. The credit office accepts (受理), refuses, or asks for a supplement
 * (which pauses both deadlines while the applicant has the file, each keeping the working days it
 * had left); the responsible department approves or denies by the result deadline set at filing.
 * Approval takes effect at once: the record or entry is marked repaired and the services that show
 * or use it are told.
 */
export async function stepRepair(
  tx: Executor,
  context: RepairContext,
  row: RepairRow,
  action: RepairAction,
  note: string,
  actor: string,
): Promise<RepairRow> {
  const now = context.clock();
  const journal = new Journal(context, tx, now);
  const ref = { subjectKey: row.subjectKey, caseId: row.repairId };
  const expect = (...statuses: RepairRow['status'][]) => {
    if (!statuses.includes(row.status))
      throw new ProblemError('invalid_state', `the application is ${row.status}`);
  };
  let next: RepairRow;
  switch (action) {
    case 'accept':
      expect('submitted');
      next = await move(tx, context, journal, row, { status: 'accepted', acceptedAt: now }, actor, note, now);
      break;
    case 'not_accept':
      expect('submitted', 'needs_supplement');
      next = await move(
        tx,
        context,
        journal,
        row,
        { status: 'not_accepted', decidedAt: now, decisionNote: note },
        actor,
        note,
        now,
      );
      break;
    case 'request_supplement':
      expect('submitted');
      next = await move(
        tx,
        context,
        journal,
        row,
        {
          status: 'needs_supplement',
          pausedAt: now,
          pausedWorkingDaysLeft: await workingDaysLeft(tx, context, ref, 'acceptance', row.acceptDueAt, now),
          pausedResultWorkingDaysLeft: await workingDaysLeft(
            tx,
            context,
            ref,
            'result',
            row.resultDueAt,
            now,
          ),
        },
        actor,
        note,
        now,
      );
      break;
    case 'deny':
      expect('accepted');
      next = await move(
        tx,
        context,
        journal,
        row,
        { status: 'denied', decidedAt: now, decisionNote: note },
        actor,
        note,
        now,
      );
      break;
    case 'approve': {
      expect('accepted');
      const approved = await move(
        tx,
        context,
        journal,
        row,
        { status: 'approved', decidedAt: now, decisionNote: note },
        actor,
        note,
        now,
      );
      next = await move(
        tx,
        context,
        journal,
        approved,
        { status: 'effective', effectiveAt: now },
        actor,
        'publicity stopped; lists and recipients told',
        now,
      );
      const repairedAt = now.toISOString();
      if (row.targetType === 'record') {
        journal.event('record.repaired', row.subjectKey, row.repairId, {
          repairId: row.repairId,
          recordId: row.targetId,
          repairedAt,
        });
      } else {
        journal.event('entry.repaired', row.subjectKey, row.repairId, {
          repairId: row.repairId,
          entryId: row.targetId,
          repairedAt,
        });
      }
      break;
    }
  }
  await journal.flush();
  return next;
}

/** The applicant supplements: both deadlines resume with the working days each had left. */
export async function supplementRepair(
  tx: Executor,
  context: RepairContext,
  row: RepairRow,
  evidence: unknown[],
  actor: string,
): Promise<RepairRow> {
  if (row.status !== 'needs_supplement')
    throw new ProblemError('invalid_state', `the application is ${row.status}`);
  const now = context.clock();
  const journal = new Journal(context, tx, now);
  const ref = { subjectKey: row.subjectKey, caseId: row.repairId };
  const resume = (deadline: 'acceptance' | 'result', left: number | null) =>
    schedule(tx, context, ref, deadline, { from: now, amount: left ?? 0, unit: 'working_days' });
  const next = await move(
    tx,
    context,
    journal,
    row,
    {
      status: 'submitted',
      evidence: [...row.evidence, ...evidence],
      acceptDueAt: await resume('acceptance', row.pausedWorkingDaysLeft),
      resultDueAt: await resume('result', row.pausedResultWorkingDaysLeft),
      pausedAt: null,
      pausedWorkingDaysLeft: null,
      pausedResultWorkingDaysLeft: null,
    },
    actor,
    'supplement received; deadline resumed',
    now,
  );
  await journal.flush();
  return next;
}

export async function repairView(
  executor: Executor,
  context: Pick<RepairContext, 'store'>,
  row: RepairRow,
  now: Date,
): Promise<RepairView> {
  const acceptMet = row.acceptedAt ?? (row.status === 'not_accepted' ? row.decidedAt : null);
  const awaiting = (await context.store.deadlines.awaitingOf([row.repairId], executor)).get(row.repairId);
  // A paused application's deadlines stand still: none is shown or overdue until it resumes.
  const deadline = (kind: 'acceptance' | 'result', dueAt: Date | null, metAt: Date | null) =>
    deadlineView(kind, row.pausedAt === null ? dueAt : null, metAt, awaiting?.get(kind) ?? null, now);
  const deadlines = [
    deadline('acceptance', row.acceptDueAt, acceptMet),
    deadline('result', row.resultDueAt, row.decidedAt),
  ];
  const pending = deadlines.find((d) => !d.met);
  return {
    id: row.repairId,
    target: { type: row.targetType, id: row.targetId },
    responsibleDepartment: row.responsibleDepartment,
    status: row.status,
    filedAt: row.filedAt.toISOString(),
    dueAt: pending?.dueAt ?? null,
    deadlines,
    overdue: deadlines.some((d) => d.overdue),
    awaitingCalendar: earliestAwaited(deadlines),
    history: await historyOf(context, executor, row.subjectKey, row.repairId),
  };
}

/**
 * Computes the deadlines of cases marked pending (filed under the earlier, reversed rule) from
 * their filing date, each in its own transaction; a paused case keeps its pause with the working
 * days the new deadlines had left when it was paused. The case history and the subject's notices
 * record the new dates; a deadline whose year the calendar lacks awaits it like any other. Run
 * when the service starts; a case already done by another instance is skipped.
 */
export async function computePendingDeadlines(db: Database, context: RepairContext): Promise<number> {
  const pending = await context.store.repairs.withPendingDeadlines(db);
  for (const repairId of pending) {
    await inTransaction(db, async (tx) => {
      const row = await lockRepair(tx, context, repairId);
      if (!row.deadlinesPending) return;
      const now = context.clock();
      const ref = { subjectKey: row.subjectKey, caseId: row.repairId };
      const deadlines = await deadlinesFrom(tx, context, ref, row.filedAt);
      const change: Partial<RepairRow> = { ...deadlines, deadlinesPending: false, updatedAt: now };
      if (row.pausedAt) {
        const { pausedAt } = row;
        const left = (deadline: 'acceptance' | 'result', dueAt: Date | null) =>
          workingDaysLeft(tx, context, ref, deadline, dueAt, pausedAt);
        change.pausedWorkingDaysLeft = await left('acceptance', deadlines.acceptDueAt);
        change.pausedResultWorkingDaysLeft = await left('result', deadlines.resultDueAt);
      }
      await context.store.repairs.update(row, change, tx);
      const note = `acceptance within ${repairRules.acceptWorkingDays} working days of receipt, result within ${repairRules.resultWorkingDays} working days of filing (国办发〔2025〕22号 §四)`;
      const journal = new Journal(context, tx, now);
      await journal.history(row.subjectKey, row.repairId, 'deadlines_recomputed', 'system', note);
      await journal.notice(row.subjectKey, 'repair', row.repairId, 'repair deadlines recomputed', {
        status: row.status,
        note,
        acceptDueAt: deadlines.acceptDueAt?.toISOString() ?? null,
        resultDueAt: deadlines.resultDueAt?.toISOString() ?? null,
      });
      await journal.flush();
    });
  }
  return pending.length;
}
