import { addMonths, shanghaiYear, startOfShanghaiDay, startOfShanghaiDayOf } from '@credit/calendar';
import { findEntry, type RecordMatch, type RuleCondition, type RuleDefinition } from '@credit/schema';
import type { records } from '../db/schema.ts';

export type RecordRow = typeof records.$inferSelect;

export interface GradeHistory {
  /** grade by domain and year, e.g. food_drug → 2025 → 守信 */
  get(domain: string, year: number): string | undefined;
}

export interface Evaluation {
  matched: boolean;
  /** The records that make the rule hold (empty for a pure absence rule). */
  basis: RecordRow[];
  /** Why, condition by condition, for dry runs and the entry's history. */
  explanation: string[];
}

/**
 * Records a rule may use: standing (not withdrawn, not repaired) and within their display
 * period. An expired or repaired item is no longer used by list rules (SPEC).
 */
export function usable(record: RecordRow, now: Date): boolean {
  return (
    record.status === 'active' &&
    record.repairedAt === null &&
    (record.displayUntil === null || record.displayUntil.getTime() > now.getTime())
  );
}

function matches(match: RecordMatch, record: RecordRow): boolean {
  const byEntry = match.entries?.includes(record.category) ?? false;
  const byClass = match.classes?.includes(record.classCode) ?? false;
  if (!byEntry && !byClass) return false;
  return (
    match.severities === undefined || (record.severity !== null && match.severities.includes(record.severity))
  );
}

function describeMatch(match: RecordMatch): string {
  const parts = [...(match.entries ?? []), ...(match.classes ?? []).map((c) => `class ${c}`)];
  const severity = match.severities ? ` (${match.severities.join('/')})` : '';
  return `${parts.join(' or ')}${severity}`;
}

function amountOf(record: RecordRow): number {
  const field = findEntry(record.category)?.amountField ?? 'amount';
  const value = record.data[field];
  return typeof value === 'number' ? value : 0;
}

function evaluateCondition(
  condition: RuleCondition,
  records: RecordRow[],
  now: Date,
  grades: GradeHistory,
): Evaluation {
  switch (condition.type) {
    case 'records': {
      const since = condition.withinMonths ? addMonths(now, -condition.withinMonths) : undefined;
      const hits = records.filter((r) => matches(condition.match, r) && (!since || r.occurredAt >= since));
      const window = condition.withinMonths ? ` within ${condition.withinMonths} months` : '';
      let matched = hits.length >= condition.minCount;
      const explanation = [
        `${hits.length} record(s) of ${describeMatch(condition.match)}${window}; at least ${condition.minCount} needed`,
      ];
      if (matched && condition.amount) {
        const amounts = hits.map(amountOf);
        const total =
          condition.amount.aggregate === 'max' ? Math.max(0, ...amounts) : amounts.reduce((a, b) => a + b, 0);
        matched = total >= condition.amount.min;
        explanation.push(
          `${condition.amount.aggregate} of amounts ${total} yuan; at least ${condition.amount.min} needed`,
        );
      }
      return { matched, basis: matched ? hits : [], explanation };
    }
    case 'absence': {
      const since = addMonths(now, -condition.withinMonths);
      const hits = records.filter((r) => matches(condition.match, r) && r.occurredAt >= since);
      return {
        matched: hits.length === 0,
        basis: [],
        explanation: [
          `${hits.length} record(s) of ${describeMatch(condition.match)} within ${condition.withinMonths} months; none allowed`,
        ],
      };
    }
    case 'grade_history': {
      const year = shanghaiYear(now);
      const years = Array.from({ length: condition.consecutiveYears }, (_, i) => year - 1 - i);
      const held = years.filter((y) => grades.get(condition.domain, y) === condition.grade);
      return {
        matched: held.length === years.length,
        basis: [],
        explanation: [
          `graded ${condition.grade} in ${condition.domain} for ${held.length} of the ${years.length} years before ${year}`,
        ],
      };
    }
    case 'all':
    case 'any': {
      const parts = condition.conditions.map((c) => evaluateCondition(c, records, now, grades));
      const matched = condition.type === 'all' ? parts.every((p) => p.matched) : parts.some((p) => p.matched);
      const basis = matched ? parts.filter((p) => p.matched).flatMap((p) => p.basis) : [];
      return {
        matched,
        basis: [...new Map(basis.map((r) => [r.recordId, r])).values()],
        explanation: parts.flatMap((p) => p.explanation),
      };
    }
  }
}

/** Evaluates a rule for one subject over its records (only usable ones count). */
export function evaluateRule(
  rule: RuleDefinition,
  subjectKind: string,
  records: RecordRow[],
  now: Date,
  grades: GradeHistory,
): Evaluation {
  if (!rule.subjectKinds.includes(subjectKind as RuleDefinition['subjectKinds'][number])) {
    return { matched: false, basis: [], explanation: [`the rule does not apply to ${subjectKind}`] };
  }
  return evaluateCondition(
    rule.condition,
    records.filter((r) => usable(r, now)),
    now,
    grades,
  );
}

const dayMs = 86_400_000;

/**
 * The first instant at which a fact of `occurredAt` is no longer within the last `months` months
 * (`occurredAt >= addMonths(t, -months)` stops holding), or undefined when it cannot be worked out
 * exactly. Counting back from the day it lands on reaches the fact's own instant unless that month
 * is shorter (31 January + 1 month = 28 February): then every instant of the landing day still
 * counts back to an earlier day, and the fact leaves at the start of the next one.
 */
export function leavesWindowAt(occurredAt: Date, months: number): Date | undefined {
  const landing = addMonths(occurredAt, months);
  const candidate =
    addMonths(landing, -months).getTime() === occurredAt.getTime()
      ? new Date(landing.getTime() + 1)
      : new Date(startOfShanghaiDayOf(landing).getTime() + dayMs);
  // Kept only when exact: in the window a millisecond before, out of it at the instant.
  const inWindow = (t: Date) => occurredAt.getTime() >= addMonths(t, -months).getTime();
  return inWindow(new Date(candidate.getTime() - 1)) && !inWindow(candidate) ? candidate : undefined;
}

/** When the Shanghai year after `now` begins: grades are per year, and grade_history counts back from it. */
function nextShanghaiYear(now: Date): Date {
  return startOfShanghaiDay(`${shanghaiYear(now) + 1}-01-01`);
}

/**
 * The soonest of the instants a subject's outcome may change at. An instant that is not after
 * `now`, or undefined (it could not be worked out), makes it the next pass: a subject is evaluated
 * once too often rather than missed. Null when there is none.
 */
export function soonestChange(now: Date, candidates: readonly (Date | undefined)[]): Date | null {
  let soonest: number | undefined;
  for (const candidate of candidates) {
    const at =
      candidate === undefined || candidate.getTime() <= now.getTime()
        ? now.getTime() + 1
        : candidate.getTime();
    if (soonest === undefined || at < soonest) soonest = at;
  }
  return soonest === undefined ? null : new Date(soonest);
}

function conditionChanges(
  condition: RuleCondition,
  standing: RecordRow[],
  now: Date,
  into: (Date | undefined)[],
): void {
  switch (condition.type) {
    case 'records':
    case 'absence': {
      if (!condition.withinMonths) return;
      const since = addMonths(now, -condition.withinMonths);
      for (const record of standing)
        if (matches(condition.match, record) && record.occurredAt >= since)
          into.push(leavesWindowAt(record.occurredAt, condition.withinMonths));
      return;
    }
    case 'grade_history':
      into.push(nextShanghaiYear(now));
      return;
    case 'all':
    case 'any':
      for (const part of condition.conditions) conditionChanges(part, standing, now, into);
      return;
    default:
      // A kind of condition not known here may read the clock: the subject is due at the next pass.
      into.push(undefined);
  }
}

/**
 * The instants after `now` at which evaluating `rules` for a subject could answer differently by
 * time alone, over the parts of the rule language that read the clock: a usable record's display
 * end (`usable`), a counted record leaving a `withinMonths` window (records and absence
 * conditions), and a new Shanghai year (grade_history, and every grade rule: grades are given per
 * year). Nothing else in a rule reads the clock; a new part of the language that does must add its
 * instants here (services/sanctions/test/daily-pass.test.ts holds the pass to them).
 */
export function timeChanges(
  rules: readonly RuleDefinition[],
  subjectKind: string,
  records: RecordRow[],
  now: Date,
): (Date | undefined)[] {
  const applicable = rules.filter((rule) =>
    rule.subjectKinds.includes(subjectKind as RuleDefinition['subjectKinds'][number]),
  );
  if (applicable.length === 0) return [];
  const standing = records.filter((r) => usable(r, now));
  const changes: (Date | undefined)[] = [];
  for (const record of standing) if (record.displayUntil) changes.push(record.displayUntil);
  for (const rule of applicable) {
    if (rule.kind === 'grade') changes.push(nextShanghaiYear(now));
    conditionChanges(rule.condition, standing, now, changes);
  }
  return changes;
}
