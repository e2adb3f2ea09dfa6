import { addMonths, shanghaiYear } from '@credit/calendar';
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
