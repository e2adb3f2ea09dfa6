import { addMonths, endOfShanghaiDay } from '@credit/calendar';
import type { SubjectKind } from '../identifiers/subject.ts';
import type { CatalogueEntry, PublicityLevel, Severity } from './types.ts';

/**
 * Default display and repair rules by severity (SPEC rule table, after the NDRC 2025 信用修复管理办法).
 * `displayMonths` is the longest display; `minPublicityMonths` the shortest before repair is possible.
 */
export const severityRules: Record<
  Severity,
  { displayMonths: number; minPublicityMonths: number; published: boolean }
> = {
  minor: { displayMonths: 3, minPublicityMonths: 0, published: false },
  general: { displayMonths: 12, minPublicityMonths: 3, published: true },
  serious: { displayMonths: 36, minPublicityMonths: 12, published: true },
};

/**
 * The widest audience an item of this severity may reach. Minor dishonesty is not published
 * (原则上不予公示): it stays with the subject and the departments whose remit covers it, so
 * neither the public nor an agency holding the subject's authorisation sees it (docs/disclosure-rules.md).
 */
export function severityCeiling(severity: Severity | null | undefined): PublicityLevel {
  return severity && !severityRules[severity].published ? 'government' : 'public';
}

const restrictiveness: Record<PublicityLevel, number> = { public: 0, authorised: 1, government: 2 };

function moreRestrictive(a: PublicityLevel, b: PublicityLevel): PublicityLevel {
  return restrictiveness[a] >= restrictiveness[b] ? a : b;
}

/** True when a reader cleared for `clearance` may see an item of publicity `level`. */
export function publicityAllows(clearance: PublicityLevel, level: PublicityLevel): boolean {
  return restrictiveness[level] <= restrictiveness[clearance];
}

/**
 * The publicity of one record: natural persons are never publicly searchable (seeds/002 七.2),
 * so at most `authorised`; minor dishonesty is not published at all (SPEC), so `government`.
 */
export function effectivePublicity(
  entry: CatalogueEntry,
  kind: SubjectKind,
  severity?: Severity,
): PublicityLevel {
  let level = entry.publicity;
  if (kind === 'natural_person') level = moreRestrictive(level, 'authorised');
  return moreRestrictive(level, severityCeiling(severity));
}

export function resolveSeverity(entry: CatalogueEntry, data: Record<string, unknown>): Severity | undefined {
  if (!entry.severity) return undefined;
  const declared = data.severity;
  return typeof declared === 'string' && (entry.severity.allowed as readonly string[]).includes(declared)
    ? (declared as Severity)
    : entry.severity.default;
}

/**
 * When an item stops being shown (展示期限): the severity's period for dishonesty, the entry's
 * own period otherwise, cut short by a validity field in the data (a licence's expiry). Null: shown
 * while the record stands.
 */
export function displayUntil(
  entry: CatalogueEntry,
  occurredAt: Date,
  data: Record<string, unknown>,
  severity?: Severity,
): Date | null {
  const months = severity ? severityRules[severity].displayMonths : entry.displayMonths;
  let until = months === null ? null : addMonths(occurredAt, months);
  const field = entry.displayUntilField ? data[entry.displayUntilField] : undefined;
  if (typeof field === 'string') {
    const fieldEnd = endOfShanghaiDay(field);
    if (!until || fieldEnd < until) until = fieldEnd;
  }
  return until;
}
