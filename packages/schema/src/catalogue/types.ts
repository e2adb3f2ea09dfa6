import type { z } from 'zod';
import type { SubjectKind } from '../identifiers/subject.ts';

/** Who may see an item: everyone (公示), an agency holding the subject's authorisation, or government. */
export const publicityLevels = ['public', 'authorised', 'government'] as const;
export type PublicityLevel = (typeof publicityLevels)[number];

/** 轻微 / 一般 / 严重 失信 (NDRC 失信行为纠正后的信用信息修复管理办法). */
export const severities = ['minor', 'general', 'serious'] as const;
export type Severity = (typeof severities)[number];

export const severityNames: Record<Severity, string> = { minor: '轻微', general: '一般', serious: '严重' };

export const catalogueClasses = [
  { code: 'org_basic', zh: '法人和非法人组织基本信息', en: 'Organisation basic information' },
  { code: 'person_basic', zh: '自然人基本信息', en: 'Natural person basic information' },
  { code: 'dishonesty', zh: '失信信息', en: 'Dishonesty information' },
  { code: 'ecommerce_dishonesty', zh: '电子商务领域失信信息', en: 'E-commerce dishonesty information' },
  { code: 'good_credit', zh: '守信信息', en: 'Good credit information' },
  {
    code: 'penalty_disclosure',
    zh: '行政处罚公示信息（简易程序）',
    en: 'Administrative penalty disclosure (summary procedure)',
  },
] as const;
export type CatalogueClassCode = (typeof catalogueClasses)[number]['code'];

export interface SeverityRule {
  default: Severity;
  /** Severities a provider may assign to a record of this entry through `data.severity`. */
  allowed: readonly Severity[];
}

export interface CatalogueEntry {
  /** Stable code providers push under (`category`); never reused for something else. */
  code: string;
  zh: string;
  en: string;
  classCode: CatalogueClassCode;
  subjectKinds: readonly SubjectKind[];
  /** Publicity for an organisation subject; natural persons are never public (see `effectivePublicity`). */
  publicity: PublicityLevel;
  /** Present exactly on dishonesty entries. */
  severity?: SeverityRule;
  repairable: boolean;
  /** Display period (展示期限) in months from `occurredAt` when severity does not set it; null = while valid. */
  displayMonths: number | null;
  /** A date field in `data` that ends display earlier or instead (a licence's expiry, a ban's end). */
  displayUntilField?: string;
  /**
   * The registering authority's record (登记): the subject name it carries is the subject's
   * current name, and the names it carried before are the subject's former names (曾用名). Any
   * other department's differing name stays with its own record and counts against its data
   * quality; it never renames the subject.
   */
  namesSubject?: boolean;
  /** Whether organisation records may name related persons (legal representative, …). */
  allowsRelatedPersons: boolean;
  /** Numeric `data` field holding the principal amount in yuan, for amount-threshold rules. */
  amountField?: string;
  /**
   * A `data` field naming another record of the same subject that must be on file and standing
   * (not withdrawn) when this one is pushed or corrected: a breach names the commitment it breaks.
   * It holds the other record's sourceId or the platform's record id.
   */
  refersTo?: { field: string; entry: string };
  /** Consent-gated fields the entry defines: present only with the subject's written consent. */
  consentGatedFields: readonly string[];
  /** Legal source of the entry in the seeds. */
  basis: string;
  /** The strict schema of `data`. */
  data: z.ZodObject;
  /** A valid, synthetic `data` sample: documentation, demo data and the catalogue tests. */
  sample: Record<string, unknown>;
}
