import type { WorkingDayCalendar } from '@credit/calendar';
import { addMonths, endOfShanghaiDay, shanghaiYear } from '@credit/calendar';
import { identityAad, idFromDigest, type Keyring, newId, sha256 } from '@credit/crypto';
import type { Executor } from '@credit/db';
import { appendEvents, type NewEvent } from '@credit/events';
import {
  discloseIdentifier,
  type GradeEventType,
  type ListingChange,
  type RuleDefinition,
  ruleDefinitionSchema,
  type SubjectKind,
} from '@credit/schema';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import {
  type BasisRef,
  entryHistory,
  grades,
  listEntries,
  measures,
  records,
  rules,
  sanctionsOutbox,
  sanctionsSchemaName,
  subjects,
} from '../db/schema.ts';
import { evaluateRule, type GradeHistory, type RecordRow } from './rule-engine.ts';

export type EntryRow = typeof listEntries.$inferSelect;
type MeasureRow = typeof measures.$inferSelect;

export interface ActiveRule {
  code: string;
  version: number;
  definition: RuleDefinition;
}

export interface ProcedureContext {
  keyring: Keyring;
  calendar: WorkingDayCalendar;
  clock: () => Date;
}

/** Entries still in the procedure or in force; awaiting_calendar waits for its objection window. */
export const openStatuses = ['awaiting_calendar', 'noticed', 'proposed', 'published'] as const;

/**
 * Why an entry ended when its basis records stand but its rule no longer holds (a red subject's
 * new dishonesty, a window that passed). Unlike a decision, it does not bar a later proposal on
 * the same basis once the rule holds again.
 */
export const ruleNoLongerMet = 'rule_no_longer_met';

/** The newest active version of every rule. */
export async function activeRules(executor: Executor): Promise<ActiveRule[]> {
  const rows = await executor
    .select()
    .from(rules)
    .where(eq(rules.status, 'active'))
    .orderBy(rules.code, desc(rules.version));
  const latest = new Map<string, ActiveRule>();
  for (const row of rows) {
    if (latest.has(row.code)) continue;
    latest.set(row.code, {
      code: row.code,
      version: row.version,
      definition: ruleDefinitionSchema.parse(row.definition),
    });
  }
  return [...latest.values()];
}

/** Measures an entry triggers: of its list kind and domain, fitting the subject (organisation or person). */
export function measuresFor(
  all: MeasureRow[],
  listKind: string,
  domain: string,
  subjectKind: string,
): MeasureRow[] {
  const scope = subjectKind === 'natural_person' ? 'person' : 'organisation';
  return all.filter(
    (m) =>
      m.listKind === listKind &&
      m.domains.includes(domain) &&
      (m.subjectScope === 'any' || m.subjectScope === scope),
  );
}

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

/** What platforms, webhooks and the query service learn of an entry: persons as platforms may see them. */
export function listingChangeOf(
  entry: EntryRow,
  identifier: string,
  type: string,
  at: Date,
  eventId = '',
): ListingChange {
  return {
    eventId,
    type,
    at: at.toISOString(),
    entry: {
      id: entry.entryId,
      subject: {
        kind: entry.subjectKind as ListingChange['entry']['subject']['kind'],
        id: discloseIdentifier({ as: 'platform' }, 'subject', entry.subjectKind as SubjectKind, identifier),
      },
      listKind: entry.listKind,
      domain: entry.domain,
      identifyingDepartment: entry.identifyingDepartment,
      status: entry.status,
      validFrom: entry.validFrom?.toISOString() ?? null,
      objectionUntil: entry.objectionUntil?.toISOString() ?? null,
      validUntil: entry.validUntil?.toISOString() ?? null,
      endReason: entry.endReason,
      measures: entry.measures,
    },
  };
}

/**
 * Changes entries and keeps the record of each change: the entry row moves to its new state,
 * the history gains a row, and the outbox an event, all in the caller's transaction.
 */
export class EntryWriter {
  private readonly events: NewEvent[] = [];

  constructor(
    private readonly tx: Executor,
    private readonly context: ProcedureContext,
    private readonly now: Date,
  ) {}

  private async identifier(subjectKey: Buffer): Promise<string> {
    const [row] = await this.tx.select().from(subjects).where(eq(subjects.subjectKey, subjectKey));
    if (!row) return '';
    return this.context.keyring.decrypt(
      row.keyId,
      row.identifierCipher,
      identityAad('identifier', subjectKey),
    );
  }

  private async record(entry: EntryRow, actor: string, note: string | null): Promise<void> {
    const [last] = await this.tx
      .select({ seq: entryHistory.seq })
      .from(entryHistory)
      .where(and(eq(entryHistory.subjectKey, entry.subjectKey), eq(entryHistory.entryId, entry.entryId)))
      .orderBy(desc(entryHistory.seq))
      .limit(1);
    await this.tx.insert(entryHistory).values({
      subjectKey: entry.subjectKey,
      entryId: entry.entryId,
      seq: (last?.seq ?? 0) + 1,
      status: entry.status,
      at: this.now,
      actor,
      note,
    });
    const type = `list.entry.${entry.status}`;
    this.events.push({
      type,
      subjectKey: entry.subjectKey,
      aggregateId: entry.entryId,
      payload: listingChangeOf(entry, await this.identifier(entry.subjectKey), type, this.now),
    });
  }

  async create(entry: EntryRow, actor: string, note: string | null): Promise<EntryRow> {
    await this.tx.insert(listEntries).values(entry);
    await this.record(entry, actor, note);
    return entry;
  }

  async move(
    entry: EntryRow,
    change: Partial<EntryRow>,
    actor: string,
    note: string | null,
  ): Promise<EntryRow> {
    const next = { ...entry, ...change, updatedAt: this.now };
    await this.tx
      .update(listEntries)
      .set({ ...change, updatedAt: this.now })
      .where(and(eq(listEntries.subjectKey, entry.subjectKey), eq(listEntries.entryId, entry.entryId)));
    await this.record(next, actor, note);
    return next;
  }

  async flush(): Promise<void> {
    await appendEvents(this.tx, sanctionsOutbox, sanctionsSchemaName, this.events, this.now);
    this.events.length = 0;
  }
}

/** Ends an entry (validity over, repaired, basis changed) and the entries linked to it. */
export async function exitEntry(
  writer: EntryWriter,
  tx: Executor,
  entry: EntryRow,
  reason: string,
  actor: string,
  now: Date,
): Promise<void> {
  if (entry.status === 'published') {
    await writer.move(entry, { status: 'exited', endedAt: now, endReason: reason }, actor, reason);
  } else if ((openStatuses as readonly string[]).includes(entry.status)) {
    await writer.move(entry, { status: 'cancelled', endedAt: now, endReason: reason }, actor, reason);
  }
  const children = await tx
    .select()
    .from(listEntries)
    .where(and(eq(listEntries.parentEntryId, entry.entryId), inArray(listEntries.status, [...openStatuses])));
  for (const child of children) await exitEntry(writer, tx, child, reason, actor, now);
}

interface SubjectState {
  kind: string;
  records: RecordRow[];
  entries: EntryRow[];
  grades: GradeHistory;
  gradeRows: GradeRow[];
}

type GradeRow = typeof grades.$inferSelect;

async function loadSubject(tx: Executor, subjectKey: Buffer): Promise<SubjectState | undefined> {
  const [subject] = await tx.select().from(subjects).where(eq(subjects.subjectKey, subjectKey));
  if (!subject) return undefined;
  const subjectRecords = await tx.select().from(records).where(eq(records.subjectKey, subjectKey));
  const entries = await tx.select().from(listEntries).where(eq(listEntries.subjectKey, subjectKey));
  const gradeRows = await tx.select().from(grades).where(eq(grades.subjectKey, subjectKey));
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
  const summary: EvaluationSummary = {
    subjects: 0,
    proposed: 0,
    awaitingCalendar: 0,
    cancelled: 0,
    exited: 0,
    graded: 0,
  };
  const ruleSet = await activeRules(tx);
  if (ruleSet.length === 0) return summary;
  const allMeasures = await tx.select().from(measures);
  const writer = new EntryWriter(tx, context, now);

  for (const subjectKey of subjectKeys) {
    const state = await loadSubject(tx, subjectKey);
    if (!state) continue;
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
        const kind = definition.kind as 'red' | 'black' | 'watch';
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
    summary.graded += await gradeSubject(tx, subjectKey, state, ruleSet, now);
  }
  await writer.flush();
  return summary;
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
  const waiting = await tx
    .select()
    .from(listEntries)
    .where(eq(listEntries.status, 'awaiting_calendar'))
    .for('update', { skipLocked: true });
  if (waiting.length === 0) return 0;
  const ruleRows = await tx
    .select()
    .from(rules)
    .where(inArray(rules.code, [...new Set(waiting.map((e) => e.ruleCode))]));
  const definitions = new Map(
    ruleRows.map((r) => [`${r.code}:${r.version}`, ruleDefinitionSchema.parse(r.definition)]),
  );
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

/** The id an evaluation (grade) is known by, e.g. to object to it: stable per subject, domain and year. */
export function evaluationId(subjectKey: Buffer, domain: string, year: number): string {
  return idFromDigest('evl', sha256(`${subjectKey.toString('hex')}:${domain}:${year}`));
}

/**
 * Domain grades: the highest-ranked grade rule that holds this year, per domain; a change is
 * announced. A grade of this year whose domain no grade rule holds for any more (the subject's
 * records changed, or the rules did) is withdrawn and the withdrawal announced, so nobody reads
 * or checks against a grade that no longer stands.
 */
async function gradeSubject(
  tx: Executor,
  subjectKey: Buffer,
  state: SubjectState,
  ruleSet: ActiveRule[],
  now: Date,
): Promise<number> {
  const year = shanghaiYear(now);
  const best = new Map<string, ActiveRule>();
  for (const rule of ruleSet.filter((r) => r.definition.kind === 'grade')) {
    if (!evaluateRule(rule.definition, state.kind, state.records, now, state.grades).matched) continue;
    const current = best.get(rule.definition.domain);
    if (!current || (rule.definition.grade?.rank ?? 0) > (current.definition.grade?.rank ?? 0))
      best.set(rule.definition.domain, rule);
  }
  const events: NewEvent[] = [];
  for (const [domain, rule] of best) {
    const grade = rule.definition.grade?.label ?? '';
    if (state.grades.get(domain, year) === grade) continue;
    await tx
      .insert(grades)
      .values({
        subjectKey,
        domain,
        year,
        grade,
        ruleCode: rule.code,
        ruleVersion: rule.version,
        computedAt: now,
        withdrawnAt: null,
      })
      .onConflictDoUpdate({
        target: [grades.subjectKey, grades.domain, grades.year],
        set: {
          grade: sql`excluded.grade`,
          ruleCode: sql`excluded.rule_code`,
          ruleVersion: sql`excluded.rule_version`,
          computedAt: sql`excluded.computed_at`,
          withdrawnAt: null,
        },
      });
    events.push(gradeEvent('grade.assigned', subjectKey, domain, year, grade, rule.code, rule.definition));
  }
  const rulesByCode = new Map(ruleSet.map((r) => [r.code, r.definition]));
  const lapsed = state.gradeRows.filter(
    (g) => g.year === year && g.withdrawnAt === null && !best.has(g.domain),
  );
  for (const row of lapsed) {
    await tx
      .update(grades)
      .set({ withdrawnAt: now })
      .where(and(eq(grades.subjectKey, subjectKey), eq(grades.domain, row.domain), eq(grades.year, year)));
    const definition = rulesByCode.get(row.ruleCode);
    events.push(
      gradeEvent('grade.withdrawn', subjectKey, row.domain, year, row.grade, row.ruleCode, definition, {
        reason: ruleNoLongerMet,
      }),
    );
  }
  await appendEvents(tx, sanctionsOutbox, sanctionsSchemaName, events, now);
  return best.size;
}

function gradeEvent(
  type: GradeEventType,
  subjectKey: Buffer,
  domain: string,
  year: number,
  grade: string,
  ruleCode: string,
  definition: RuleDefinition | undefined,
  extra: Record<string, unknown> = {},
): NewEvent {
  const id = evaluationId(subjectKey, domain, year);
  return {
    type,
    subjectKey,
    aggregateId: id,
    payload: {
      evaluationId: id,
      domain,
      year,
      grade,
      ruleCode,
      // A retired rule's department is not at hand; the credit office answers for the withdrawal.
      department: definition?.identifyingDepartment ?? 'credit-office',
      ...extra,
    },
  };
}

/**
 * The identifying department's decision. Black and watch entries wait out their objection
 * window; publication starts the validity and, for organisations on a list whose rule says so,
 * lists the legal representative and responsible persons the basis records name.
 */
export async function publishEntry(
  tx: Executor,
  context: ProcedureContext,
  entry: EntryRow,
  validUntilDate: string | undefined,
  actor: string,
  note: string,
  now: Date,
): Promise<EntryRow> {
  const [ruleRow] = await tx
    .select()
    .from(rules)
    .where(and(eq(rules.code, entry.ruleCode), eq(rules.version, entry.ruleVersion)));
  const rule = ruleRow ? ruleDefinitionSchema.parse(ruleRow.definition) : undefined;
  const validUntil = validUntilDate
    ? endOfShanghaiDay(validUntilDate)
    : addMonths(now, rule?.validityMonths ?? 36);
  const writer = new EntryWriter(tx, context, now);
  const published = await writer.move(
    entry,
    { status: 'published', decidedAt: now, decidedBy: actor, validFrom: now, validUntil },
    actor,
    note,
  );
  if (rule?.linkRelatedPersons && entry.subjectKind !== 'natural_person') {
    const basisIds = entry.basis.map((b) => b.recordId);
    const basisRecords = basisIds.length
      ? await tx
          .select()
          .from(records)
          .where(and(eq(records.subjectKey, entry.subjectKey), inArray(records.recordId, basisIds)))
      : [];
    const persons = new Map<string, string>();
    for (const record of basisRecords)
      for (const person of record.relatedPersons) persons.set(person.subjectKey, person.role);
    const allMeasures = await tx.select().from(measures);
    for (const [personKey, role] of persons) {
      await writer.create(
        {
          ...published,
          subjectKey: Buffer.from(personKey, 'hex'),
          entryId: newId('lst', now.getTime()),
          subjectKind: 'natural_person',
          measures: measuresFor(allMeasures, entry.listKind, entry.domain, 'natural_person').map(
            (m) => m.code,
          ),
          objectionUntil: null,
          parentEntryId: entry.entryId,
          relatedRole: role,
          updatedAt: now,
        },
        actor,
        `linked to ${entry.entryId} as ${role}`,
      );
    }
  }
  await writer.flush();
  return published;
}

export async function rejectEntry(
  tx: Executor,
  context: ProcedureContext,
  entry: EntryRow,
  actor: string,
  note: string,
  now: Date,
) {
  const writer = new EntryWriter(tx, context, now);
  const rejected = await writer.move(
    entry,
    { status: 'rejected', decidedAt: now, decidedBy: actor, endedAt: now, endReason: 'rejected' },
    actor,
    note,
  );
  await writer.flush();
  return rejected;
}

/** Published entries whose validity is over exit (the daily pass). */
export async function expireEntries(tx: Executor, context: ProcedureContext, now: Date): Promise<number> {
  const due = await tx
    .select()
    .from(listEntries)
    .where(
      and(
        eq(listEntries.status, 'published'),
        sql`${listEntries.validUntil} <= ${now}`,
        sql`${listEntries.parentEntryId} IS NULL`,
      ),
    );
  const writer = new EntryWriter(tx, context, now);
  for (const entry of due) await exitEntry(writer, tx, entry, 'validity_ended', 'system', now);
  await writer.flush();
  return due.length;
}
