import { newId } from '@credit/crypto';
import type { Executor } from '@credit/db';
import type { ListKind, RuleDefinition } from '@credit/schema';
import type { BasisRef } from '../db/schema.ts';
import type { SubjectDue } from '../repositories/subject-repository.ts';
import {
  type EntryRow,
  EntryWriter,
  exitEntry,
  measuresFor,
  openStatuses,
  type ProcedureContext,
  ruleNoLongerMet,
} from './entry-writer.ts';
import { type GradedSubject, gradeSubject } from './grading.ts';
import { evaluateRule, type RecordRow, soonestChange, timeChanges } from './rule-engine.ts';

function basisOf(rows: RecordRow[]): BasisRef[] {
  return rows
    .map((r) => ({ recordId: r.recordId, version: r.version, category: r.category }))
    .sort((a, b) => (a.recordId < b.recordId ? -1 : 1));
}

function sameBasis(a: BasisRef[], b: BasisRef[]): boolean {
  return (
    a.length === b.length &&
    a.every((ref, i) => ref.recordId === b[i]?.recordId && ref.version === b[i]?.version)
  );
}

interface SubjectState extends GradedSubject {
  entries: EntryRow[];
}

async function loadSubject(
  tx: Executor,
  context: ProcedureContext,
  subjectKey: Buffer,
): Promise<SubjectState | undefined> {
  const { store } = context;
  const subject = await store.subjects.find(subjectKey, tx);
  if (!subject) return undefined;
  const subjectRecords = await store.subjects.recordsOf(subjectKey, tx);
  const entries = await store.entries.forSubject(subjectKey, tx);
  const gradeRows = await store.grades.forSubject(subjectKey, tx);
  const byDomainYear = new Map(
    gradeRows.filter((g) => g.withdrawnAt === null).map((g) => [`${g.domain}:${g.year}`, g.grade]),
  );
  return {
    kind: subject.kind,
    records: subjectRecords,
    entries,
    grades: { get: (domain, year) => byDomainYear.get(`${domain}:${year}`) },
    gradeRows,
  };
}

/** Whether the records an entry stands on are still as they were when it was listed. */
function basisIntact(entry: EntryRow, current: RecordRow[]): boolean {
  const byId = new Map(current.map((r) => [r.recordId, r]));
  return entry.basis.every((ref) => {
    const record = byId.get(ref.recordId);
    return (
      record !== undefined &&
      record.version === ref.version &&
      record.status === 'active' &&
      record.repairedAt === null
    );
  });
}

export interface EvaluationSummary {
  subjects: number;
  proposed: number;
  /**
   * Black and watch entries created awaiting_calendar: the official calendar does not cover the
   * end of their objection window yet, so the subject is noticed once the year is loaded.
   */
  awaitingCalendar: number;
  cancelled: number;
  exited: number;
  graded: number;
}

/** A summary before any subject was evaluated. */
export function noEvaluations(): EvaluationSummary {
  return { subjects: 0, proposed: 0, awaitingCalendar: 0, cancelled: 0, exited: 0, graded: 0 };
}

/**
 * Re-evaluates the active rules for some subjects and reconciles their entries: a rule that now
 * holds proposes an entry (black and watch lists: noticed to the subject with an objection window
 * in working days; red lists: proposed for decision); an entry whose rule no longer holds ends —
 * a proposal always, a published red entry always (an incentive needs its conditions to hold), a
 * published black or watch entry only when its basis records were corrected, withdrawn or
 * repaired. A proposal already decided on the same basis is not proposed again.
 */
export async function evaluateSubjects(
  tx: Executor,
  context: ProcedureContext,
  subjectKeys: Buffer[],
  now: Date,
  actor: string,
): Promise<EvaluationSummary> {
  const summary = noEvaluations();
  const ruleSet = await context.store.rules.active(tx);
  if (ruleSet.length === 0) return summary;
  const allMeasures = await context.store.measures.all(tx);
  const writer = new EntryWriter(tx, context, now);
  const definitions = ruleSet.map((r) => r.definition);
  const dues: SubjectDue[] = [];

  for (const subjectKey of subjectKeys) {
    const state = await loadSubject(tx, context, subjectKey);
    if (!state) {
      dues.push({ subjectKey, dueAt: null });
      continue;
    }
    dues.push({ subjectKey, dueAt: nextDueAt(state, definitions, now) });
    summary.subjects++;
    for (const rule of ruleSet.filter((r) => r.definition.kind !== 'grade')) {
      const evaluation = evaluateRule(rule.definition, state.kind, state.records, now, state.grades);
      const sameRule = state.entries.filter((e) => e.ruleCode === rule.code && e.parentEntryId === null);
      const open = sameRule.find((e) => (openStatuses as readonly string[]).includes(e.status));
      if (evaluation.matched) {
        if (open) continue;
        const basis = basisOf(evaluation.basis);
        if (sameRule.some((e) => sameBasis(e.basis, basis) && e.endReason !== ruleNoLongerMet)) continue;
        const { definition } = rule;
        const kind = definition.kind as ListKind;
        const noticed = kind !== 'red';
        // The window's end must be stated in the notice: without the official calendar of its
        // year the entry waits, visibly, instead of being guessed or silently skipped.
        const window = noticed ? objectionWindow(context, definition, now) : null;
        const status = !noticed ? 'proposed' : window?.dueAt ? 'noticed' : 'awaiting_calendar';
        const objectionUntil = window?.dueAt ?? null;
        const note = window?.awaitingYear
          ? `${evaluation.explanation.join('; ')}; awaiting the official calendar of ${window.awaitingYear}`
          : evaluation.explanation.join('; ');
        await writer.create(
          {
            subjectKey,
            entryId: newId('lst', now.getTime()),
            subjectKind: state.kind,
            listKind: kind,
            domain: definition.domain,
            ruleCode: rule.code,
            ruleVersion: rule.version,
            identifyingDepartment: definition.identifyingDepartment,
            status,
            basis,
            measures: measuresFor(allMeasures, kind, definition.domain, state.kind).map((m) => m.code),
            proposedAt: now,
            objectionUntil,
            decidedAt: null,
            decidedBy: null,
            validFrom: null,
            validUntil: null,
            endedAt: null,
            endReason: null,
            parentEntryId: null,
            relatedRole: null,
            updatedAt: now,
          },
          actor,
          note,
        );
        if (status === 'awaiting_calendar') summary.awaitingCalendar++;
        else summary.proposed++;
        continue;
      }
      if (!open) continue;
      const intact = basisIntact(open, state.records);
      // A decided sanction stands for its validity; only a change to its basis ends it early. An
      // incentive is kept only while its conditions hold: new dishonesty ends a red entry at once.
      if (open.status === 'published' && open.listKind !== 'red' && intact) continue;
      await exitEntry(writer, tx, open, intact ? ruleNoLongerMet : 'basis_changed', actor, now);
      if (open.status === 'published') summary.exited++;
      else summary.cancelled++;
    }
    summary.graded += await gradeSubject(tx, context, subjectKey, state, ruleSet, now);
  }
  await writer.flush();
  // After the writer, which made the subjects whose entries changed due at once: what was just
  // evaluated stands until the instants worked out here.
  await context.store.subjects.setDue(dues, tx);
  return summary;
}

/**
 * When the daily pass must next evaluate a subject: the soonest instant at which the rules could
 * answer differently by time alone, or a published entry's validity ends (it exits, and the
 * subject may be proposed again on a changed basis). Entries created by this evaluation have no
 * validity yet; publishing one is a change to the entry, which makes the subject due anyway.
 */
function nextDueAt(state: SubjectState, definitions: RuleDefinition[], now: Date): Date | null {
  const validityEnds = state.entries
    .filter((e) => e.status === 'published' && e.validUntil !== null)
    .map((e) => e.validUntil as Date);
  return soonestChange(now, [...timeChanges(definitions, state.kind, state.records, now), ...validityEnds]);
}

/** The objection window of a black or watch entry noticed on `from`, or the year it waits for. */
function objectionWindow(context: ProcedureContext, definition: RuleDefinition, from: Date) {
  return context.calendar.schedule({
    from,
    amount: definition.objectionWindowWorkingDays,
    unit: 'working_days',
  });
}

/**
 * Notices the entries that awaited the official calendar, now that it covers their window: the
 * window is counted from today, the day the subject is told. Called when a year is loaded and by
 * the daily pass (a holiday package that covers the year counts too).
 */
export async function resumeAwaitingEntries(
  tx: Executor,
  context: ProcedureContext,
  now: Date,
): Promise<number> {
  const waiting = await context.store.entries.lockAwaitingCalendar(tx);
  if (waiting.length === 0) return 0;
  const definitions = await context.store.rules.versionsOf([...new Set(waiting.map((e) => e.ruleCode))], tx);
  const writer = new EntryWriter(tx, context, now);
  let resumed = 0;
  for (const entry of waiting) {
    const definition = definitions.get(`${entry.ruleCode}:${entry.ruleVersion}`);
    if (!definition) continue;
    const window = objectionWindow(context, definition, now);
    if (!window.dueAt) continue;
    await writer.move(
      entry,
      { status: 'noticed', objectionUntil: window.dueAt },
      'calendar',
      `official calendar loaded; objection window to ${window.dueAt.toISOString()}`,
    );
    resumed++;
  }
  await writer.flush();
  return resumed;
}
