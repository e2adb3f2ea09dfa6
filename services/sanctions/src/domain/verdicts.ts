import { shanghaiYear } from '@credit/calendar';
import type { Measure, MeasureEffect, SanctionAction } from '@credit/schema';
import type { measures } from '../db/schema.ts';
import type { SupervisionTierRow } from '../repositories/industry-evaluation-repository.ts';
import type { EntryRow } from './entry-writer.ts';
import type { HeldGrade, HeldIndustryGrade } from './listing-cache.ts';

type MeasureRow = typeof measures.$inferSelect;

/** Entries in force: published and within their validity. */
export function standing<E extends Pick<EntryRow, 'status' | 'validFrom' | 'validUntil'>>(
  entries: readonly E[],
  now: Date,
): E[] {
  return entries.filter(
    (e) =>
      e.status === 'published' &&
      (e.validFrom === null || e.validFrom.getTime() <= now.getTime()) &&
      (e.validUntil === null || e.validUntil.getTime() > now.getTime()),
  );
}

export function toMeasure(row: MeasureRow): Measure {
  return {
    code: row.code,
    name: row.name,
    nameEn: row.nameEn,
    listKind: row.listKind,
    domains: row.domains as Measure['domains'],
    subjectScope: row.subjectScope,
    actions: row.actions as Measure['actions'],
    effect: row.effect,
    legalBasis: row.legalBasis,
    implementingDepartment: row.implementingDepartment,
  };
}

/** The measures standing entries trigger, optionally only those governing some actions. */
export function triggeredMeasures(
  entries: readonly Pick<EntryRow, 'measures'>[],
  all: MeasureRow[],
  actions?: readonly SanctionAction[],
): MeasureRow[] {
  const codes = new Set(entries.flatMap((e) => e.measures));
  return all.filter(
    (m) => codes.has(m.code) && (!actions || m.actions.some((a) => actions.includes(a as SanctionAction))),
  );
}

const severity: Record<MeasureEffect, number> = { deny: 3, restrict: 2, inspect: 2, priority: 1 };

/**
 * "May this subject do this?": deny when any triggered measure denies the action, restrict when
 * one restricts it or marks the subject for inspection, priority when only incentives apply.
 */
export function decisionFor(applied: MeasureRow[]): 'allow' | 'restrict' | 'deny' | 'priority' {
  const worst = Math.max(0, ...applied.map((m) => severity[m.effect]));
  if (worst === 3) return 'deny';
  if (worst === 2) return 'restrict';
  if (worst === 1) return 'priority';
  return 'allow';
}

/**
 * The grades a check reports: per domain the newest, if it is of this year or the last (grades
 * are annual and last year's stands until this year's is given) and not withdrawn; older ones
 * are history.
 */
export function currentGrades(
  held: readonly HeldGrade[],
  now: Date,
): Pick<HeldGrade, 'domain' | 'year' | 'grade'>[] {
  const year = shanghaiYear(now);
  return held
    .filter((g) => g.year >= year - 1 && !g.withdrawn)
    .map(({ domain, year, grade }) => ({ domain, year, grade }))
    .sort((a, b) => (a.domain < b.domain ? -1 : 1));
}

/** Industry evaluations that stand now: within the validity their department gave them. */
export function standingIndustryGrades(held: readonly HeldIndustryGrade[], now: Date): HeldIndustryGrade[] {
  return held.filter((g) => g.validUntil.getTime() > now.getTime());
}

/**
 * The measures standing industry evaluations call for (graded supervision as data: each tier's
 * measures), fitting the subject (organisation or person), optionally only those governing some
 * actions. Incentives among them still pass the guard against current dishonesty.
 */
export function gradeMeasures(
  evaluations: readonly Pick<HeldIndustryGrade, 'tier'>[],
  tiers: readonly SupervisionTierRow[],
  all: MeasureRow[],
  person: boolean,
  actions?: readonly SanctionAction[],
): MeasureRow[] {
  const codes = new Set(evaluations.flatMap((e) => tiers.find((t) => t.tier === e.tier)?.measures ?? []));
  const scope = person ? 'person' : 'organisation';
  return all.filter(
    (m) =>
      codes.has(m.code) &&
      (m.subjectScope === 'any' || m.subjectScope === scope) &&
      (!actions || m.actions.some((a) => actions.includes(a as SanctionAction))),
  );
}

/** Measures by code, each once, in catalogue order of first appearance. */
export function uniqueMeasures(measures: MeasureRow[]): MeasureRow[] {
  return [...new Map(measures.map((m) => [m.code, m])).values()];
}

/** The worst of several decisions (deny over restrict over priority over allow). */
export function worstDecision(
  decisions: readonly ReturnType<typeof decisionFor>[],
): ReturnType<typeof decisionFor> {
  const order = ['allow', 'priority', 'restrict', 'deny'] as const;
  return decisions.reduce<ReturnType<typeof decisionFor>>(
    (worst, d) => (order.indexOf(d) > order.indexOf(worst) ? d : worst),
    'allow',
  );
}
