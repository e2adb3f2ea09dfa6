import { addMonths, shanghaiYear } from '@credit/calendar';
import type { Executor } from '@credit/db';
import {
  encodeCursor,
  findEntry,
  type Grade,
  type GradeChange,
  type SubjectGrades,
  type SubjectGradesPage,
} from '@credit/schema';
import { and, asc, eq, getTableColumns, gte, inArray, type SQL, sql } from 'drizzle-orm';
import { evaluationMarks, gradeChanges, grades } from '../db/schema.ts';
import type { Viewer } from './access-policy.ts';

type GradeRow = typeof grades.$inferSelect & { disputed: boolean };
type GradeChangeRow = typeof gradeChanges.$inferSelect;

export interface GradeRows {
  states: GradeRow[];
  changes: GradeChangeRow[];
}

/** Whether a grade's evaluation is under objection (query.evaluation_marks). */
// The grade's columns are named with their table: a bare column in a select list is rendered
// unqualified, and would read the mark's own column of the same name.
export const gradeDisputed = sql<boolean>`EXISTS (SELECT 1 FROM ${evaluationMarks} m
  WHERE m.subject_key = ${grades}.subject_key AND m.evaluation_id = ${grades}.evaluation_id AND m.disputed)`;

/** Grade states with whether each is disputed. */
export function gradeStates(executor: Executor, where: SQL | undefined): Promise<GradeRow[]> {
  return executor
    .select({ ...getTableColumns(grades), disputed: gradeDisputed })
    .from(grades)
    .where(where);
}

/** The grades of many subjects in two queries, by subject key (hex). */
export async function gradeRowsOf(
  executor: Executor,
  keys: readonly Buffer[],
): Promise<Map<string, GradeRows>> {
  const result = new Map<string, GradeRows>();
  if (keys.length === 0) return result;
  const entry = (key: Buffer) => {
    const hex = key.toString('hex');
    const found = result.get(hex) ?? { states: [], changes: [] };
    result.set(hex, found);
    return found;
  };
  const states = await gradeStates(executor, inArray(grades.subjectKey, [...keys]));
  for (const row of states) entry(row.subjectKey).states.push(row);
  const changes = await executor
    .select()
    .from(gradeChanges)
    .where(inArray(gradeChanges.subjectKey, [...keys]))
    .orderBy(asc(gradeChanges.at), asc(gradeChanges.feedSeq));
  for (const row of changes) entry(row.subjectKey).changes.push(row);
  return result;
}

/** The current grades of many subjects (the intermediaries' column), by subject key (hex). */
export async function currentGradesOf(
  executor: Executor,
  keys: readonly Buffer[],
  now: Date,
): Promise<Map<string, Grade[]>> {
  const result = new Map<string, Grade[]>();
  if (keys.length === 0) return result;
  const bySubject = new Map<string, GradeRow[]>();
  for (const row of await gradeStates(executor, inArray(grades.subjectKey, [...keys]))) {
    const hex = row.subjectKey.toString('hex');
    const held = bySubject.get(hex);
    if (held) held.push(row);
    else bySubject.set(hex, [row]);
  }
  for (const [hex, states] of bySubject) result.set(hex, currentGrades(states, now));
  return result;
}

/** Grades stand in the catalogue as industry credit grades (行业信用等级评价信息, class good_credit). */
const gradeEntry = findEntry('industry_credit_grade');
const gradeClass = gradeEntry?.classCode ?? 'good_credit';
/** Others than the subject see the history of this display period only. */
const gradeDisplayMonths = gradeEntry?.displayMonths ?? 12;

/**
 * Whether a viewer sees grades at all: the subject always; an agency when its authorisation's
 * scope names the grade entry or its class (or has no scope); a department when its remit
 * covers the class.
 */
export function gradesVisibleTo(viewer: Viewer): boolean {
  if (viewer.audience === 'self') return true;
  if (viewer.audience === 'agency') {
    const { scope } = viewer.authorisation;
    return scope === null || scope.includes(gradeClass) || scope.includes('industry_credit_grade');
  }
  return viewer.remit === 'all' || viewer.remit.includes(gradeClass);
}

function changeView(row: GradeChangeRow): GradeChange {
  return {
    change: row.change,
    evaluationId: row.evaluationId,
    domain: row.domain,
    year: row.year,
    grade: row.grade,
    ruleCode: row.ruleCode,
    department: row.department,
    at: row.at.toISOString(),
  };
}

/**
 * Per domain, the grade of the newest graded year, if that is this year or the last (an annual
 * grade stands until the next year's is given) and it was not withdrawn (a withdrawal leaves the
 * domain ungraded, it does not bring an older year's grade back). An industry evaluation's grade
 * stands until its `validUntil` instead, and the current one is the standing one with the latest
 * period, as the sanctions service reads it: one whose validity has ended is not shown.
 */
export function currentGrades(states: readonly GradeRow[], now: Date): Grade[] {
  const year = shanghaiYear(now);
  const newest = new Map<string, GradeRow>();
  for (const row of states) {
    if (row.validUntil !== null && row.validUntil.getTime() <= now.getTime()) continue;
    const held = newest.get(row.domain);
    if (!held || held.year < row.year) newest.set(row.domain, row);
  }
  return [...newest.values()]
    .filter((row) => row.status === 'assigned' && (row.validUntil !== null || row.year >= year - 1))
    .sort((a, b) => (a.domain < b.domain ? -1 : 1))
    .map((row) => ({
      evaluationId: row.evaluationId,
      domain: row.domain,
      year: row.year,
      grade: row.grade,
      ruleCode: row.ruleCode,
      department: row.department,
      assignedAt: row.updatedAt.toISOString(),
      disputed: row.disputed,
    }));
}

/** From when `viewer` sees the history: the subject all of it, others the display period. */
function historySince(viewer: Viewer, now: Date): Date | undefined {
  return viewer.audience === 'self' ? undefined : addMonths(now, -gradeDisplayMonths);
}

/** A subject's grades as `viewer` may see them, the whole history (the credit report, GraphQL). */
export function gradesView(rows: GradeRows | undefined, viewer: Viewer, now: Date): SubjectGrades {
  if (!rows || !gradesVisibleTo(viewer)) return { current: [], history: [] };
  const since = historySince(viewer, now);
  return {
    current: currentGrades(rows.states, now),
    history: rows.changes
      .filter((row) => since === undefined || row.at.getTime() >= since.getTime())
      .map(changeView),
  };
}

/**
 * The current grades and one page of the history as `viewer` may see them, the history read by
 * keyset (time, then feed order) down grade_changes_subject_pages_idx, oldest first.
 */
export async function gradesPage(
  executor: Executor,
  subjectKey: Buffer,
  viewer: Viewer,
  now: Date,
  page: { after: readonly [at: string, feedSeq: number] | undefined; limit: number },
): Promise<SubjectGradesPage> {
  const { current, changes, more } = await gradeHistoryPage(executor, subjectKey, viewer, now, page);
  const last = changes.at(-1);
  return {
    current,
    items: changes.map((change) => change.view),
    ...(more && last ? { next: encodeCursor(last.key) } : {}),
  };
}

/**
 * The current grades and a page of the history, oldest first, each change with its key (the
 * REST cursor's tuple: when, then its place in the feed) and whether more follow.
 */
export async function gradeHistoryPage(
  executor: Executor,
  subjectKey: Buffer,
  viewer: Viewer,
  now: Date,
  page: { after: readonly [at: string, feedSeq: number] | undefined; limit: number },
) {
  if (!gradesVisibleTo(viewer)) return { current: [], changes: [], more: false };
  const states = await gradeStates(executor, eq(grades.subjectKey, subjectKey));
  const since = historySince(viewer, now);
  const rows = await executor
    .select()
    .from(gradeChanges)
    .where(
      and(
        eq(gradeChanges.subjectKey, subjectKey),
        since === undefined ? undefined : gte(gradeChanges.at, since),
        page.after
          ? sql`(${gradeChanges.at}, ${gradeChanges.feedSeq}) > (${page.after[0]}::timestamptz, ${page.after[1]})`
          : undefined,
      ),
    )
    .orderBy(asc(gradeChanges.at), asc(gradeChanges.feedSeq))
    .limit(page.limit + 1);
  return {
    current: currentGrades(states, now),
    // `at` is written from a JavaScript Date (milliseconds), so its ISO text is the exact key.
    changes: rows.slice(0, page.limit).map((row) => ({
      key: [row.at.toISOString(), row.feedSeq] as const,
      view: changeView(row),
    })),
    more: rows.length > page.limit,
  };
}
