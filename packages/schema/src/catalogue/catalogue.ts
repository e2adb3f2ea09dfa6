import { createHash } from 'node:crypto';
import { z } from 'zod';
import { consentGatedFieldCategories } from '../fields/consent-gated.ts';
import { prohibitedFieldCategories } from '../fields/prohibited.ts';
import { organisationBasicEntries, personBasicEntries } from './entries-basic.ts';
import { dishonestyEntries } from './entries-dishonesty.ts';
import { ecommerceEntries, goodCreditEntries, penaltyDisclosureEntries } from './entries-ecommerce-good.ts';
import { optionLabelOf } from './fields.ts';
import { severityRules } from './rules.ts';
import { type CatalogueClassCode, type CatalogueEntry, catalogueClasses, severityNames } from './types.ts';

/** Bump when entries change meaning; the fingerprint below changes with any schema edit anyway. */
export const catalogueVersion = '2026.12.0';

export const catalogueEntries: readonly CatalogueEntry[] = [
  ...organisationBasicEntries,
  ...personBasicEntries,
  ...dishonestyEntries,
  ...ecommerceEntries,
  ...goodCreditEntries,
  ...penaltyDisclosureEntries,
];

const byCode = new Map(catalogueEntries.map((entry) => [entry.code, entry]));
if (byCode.size !== catalogueEntries.length) throw new Error('duplicate catalogue entry code');

export const catalogueCodes = catalogueEntries.map((e) => e.code);

export function findEntry(code: string): CatalogueEntry | undefined {
  return byCode.get(code);
}

/**
 * The Chinese label of a value a record's `data` field holds from one of the catalogue's closed
 * sets (arrearsKind `tax` → 税款), or undefined for a field or value with none.
 */
export function optionLabel(category: string, field: string, value: string): string | undefined {
  const shape = findEntry(category)?.data.shape as Record<string, z.ZodType> | undefined;
  return optionLabelOf(shape?.[field], value);
}

export function entriesOfClass(classCode: CatalogueClassCode): CatalogueEntry[] {
  return catalogueEntries.filter((e) => e.classCode === classCode);
}

/** Whether a record of this entry names its subject (the registering authority's record). */
export function namesSubject(category: string): boolean {
  return byCode.get(category)?.namesSubject === true;
}

/** The entries whose records decide subjects' names. */
export const namingEntryCodes = catalogueEntries.filter((e) => e.namesSubject).map((e) => e.code);

export function isDishonesty(entry: CatalogueEntry): boolean {
  return entry.severity !== undefined;
}

export function entryJsonSchema(entry: CatalogueEntry): Record<string, unknown> {
  return z.toJSONSchema(entry.data, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}

/** The published catalogue: what `GET /v1/catalogue` serves and providers build against. */
export function exportCatalogue() {
  const entries = catalogueEntries.map((entry) => ({
    code: entry.code,
    zh: entry.zh,
    en: entry.en,
    class: entry.classCode,
    subjectKinds: entry.subjectKinds,
    publicity: entry.publicity,
    severity: entry.severity ?? null,
    repairable: entry.repairable,
    displayMonths: entry.displayMonths,
    displayUntilField: entry.displayUntilField ?? null,
    allowsRelatedPersons: entry.allowsRelatedPersons,
    namesSubject: entry.namesSubject === true,
    amountField: entry.amountField ?? null,
    refersTo: entry.refersTo ?? null,
    consentGatedFields: entry.consentGatedFields,
    basis: entry.basis,
    dataSchema: entryJsonSchema(entry),
    sample: entry.sample,
  }));
  const body = {
    classes: catalogueClasses,
    severities: Object.entries(severityRules).map(([code, rule]) => ({
      code,
      zh: severityNames[code as keyof typeof severityNames],
      ...rule,
    })),
    prohibitedFields: prohibitedFieldCategories.map(({ code, zh, en }) => ({ code, zh, en })),
    consentGatedFields: consentGatedFieldCategories.map(({ code, zh, en }) => ({ code, zh, en })),
    entries,
  };
  const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  return { version: catalogueVersion, fingerprint, ...body };
}
