import { parseOccurrence } from '@credit/calendar';
import type { z } from 'zod';
import { recordCorrectionSchema, recordSubmissionSchema, type relatedPersonRoles } from '../api/records.ts';
import { findEntry } from '../catalogue/catalogue.ts';
import { displayUntil, effectivePublicity, resolveSeverity } from '../catalogue/rules.ts';
import type { CatalogueEntry, PublicityLevel, Severity } from '../catalogue/types.ts';
import { type ConsentGatedCategory, findConsentGatedFields } from '../fields/consent-gated.ts';
import { prohibitedFieldErrors } from '../fields/prohibited.ts';
import { checkCitizenId, isAdultAt } from '../identifiers/citizen-id.ts';
import { checkSubjectIdentifier, type SubjectKind } from '../identifiers/subject.ts';
import { zodIssuesToErrors } from './zod-issues.ts';

export type RecordRefusalCode =
  | 'prohibited_field'
  | 'unknown_field'
  | 'validation_failed'
  | 'unknown_category'
  | 'category_not_applicable'
  | 'invalid_identifier'
  | 'subject_kind_mismatch'
  | 'subject_not_adult'
  | 'related_persons_not_allowed'
  | 'consent_required';

export interface RecordFieldError {
  path: string;
  code: RecordRefusalCode;
  message: string;
}

export interface NormalisedRelatedPerson {
  role: (typeof relatedPersonRoles)[number];
  id: string;
  name: string;
}

/** A record that passed every check that needs no database: normalised and ready to store. */
export interface ValidatedRecord {
  sourceId?: string;
  entry: CatalogueEntry;
  subject: { kind: SubjectKind; id: string; name: string };
  /** When the fact happened: the instant, or the day a plain date began in Shanghai. */
  occurredAt: Date;
  /** The plain date (YYYY-MM-DD) the fact was dated with, kept as such; null for an instant. */
  occurredOn: string | null;
  data: Record<string, unknown>;
  relatedPersons: NormalisedRelatedPerson[];
  consentRef?: string;
  /** Consent-gated kinds present in `data`; the cited consent must cover each. */
  consentCategories: ConsentGatedCategory[];
  severity?: Severity;
  publicity: PublicityLevel;
  displayUntil: Date | null;
  reason?: string;
}

export type RecordValidation =
  | { ok: true; record: ValidatedRecord }
  | { ok: false; errors: RecordFieldError[] };

/**
 * Checks a record submission (or correction) against the catalogue. Prohibited information is
 * looked for first, over the raw input at any depth, so that it is refused as such and never
 * reaches parsing, storage or logs. All other problems found are reported together.
 */
export function validateRecordInput(
  raw: unknown,
  mode: 'submission' | 'correction',
  now: Date = new Date(),
): RecordValidation {
  const prohibited = prohibitedFieldErrors(raw);
  if (prohibited.length > 0) return { ok: false, errors: prohibited };

  const envelope =
    mode === 'submission' ? recordSubmissionSchema.safeParse(raw) : recordCorrectionSchema.safeParse(raw);
  // An envelope wrong only in its identifiers is still checked on, so every problem is reported at once.
  const identifierErrors: RecordFieldError[] = [];
  if (!envelope.success) {
    const refused = zodIssuesToErrors(envelope.error.issues);
    if (!refused.every((error) => error.code === 'invalid_identifier')) return { ok: false, errors: refused };
    identifierErrors.push(...refused);
  }
  const input = (envelope.success ? envelope.data : raw) as z.infer<typeof recordCorrectionSchema> & {
    sourceId?: string;
  };
  const flagged = (path: string) => identifierErrors.some((error) => error.path === path);

  const entry = findEntry(input.category);
  if (!entry) {
    return {
      ok: false,
      errors: [
        ...identifierErrors,
        {
          path: 'category',
          code: 'unknown_category',
          message: `'${input.category}' is not a catalogue entry`,
        },
      ],
    };
  }

  const errors: RecordFieldError[] = [...identifierErrors];
  const { at: occurredAt, date: occurredOn } = parseOccurrence(input.occurredAt);
  if (occurredAt.getTime() > now.getTime() + 5 * 60_000) {
    errors.push({ path: 'occurredAt', code: 'validation_failed', message: 'occurredAt is in the future' });
  }
  const { kind } = input.subject;
  if (!entry.subjectKinds.includes(kind)) {
    errors.push({
      path: 'subject.kind',
      code: 'category_not_applicable',
      message: `${entry.code} applies to ${entry.subjectKinds.join(', ')}, not ${kind}`,
    });
  }

  const subject = checkSubjectIdentifier(kind, input.subject.id, occurredAt, now);
  if (!subject.ok && !flagged('subject.id')) errors.push({ path: 'subject.id', ...subject.problem });

  const relatedPersons: NormalisedRelatedPerson[] = [];
  if (input.relatedPersons && input.relatedPersons.length > 0) {
    if (!entry.allowsRelatedPersons || kind === 'natural_person') {
      errors.push({
        path: 'relatedPersons',
        code: 'related_persons_not_allowed',
        message: 'related persons are named only on organisation dishonesty entries',
      });
    } else {
      input.relatedPersons.forEach((person, index) => {
        const check = checkCitizenId(person.id, now);
        if (!check.ok) {
          if (flagged(`relatedPersons.${index}.id`)) return;
          errors.push({
            path: `relatedPersons.${index}.id`,
            code: 'invalid_identifier',
            message: check.reason,
          });
        } else if (!isAdultAt(check.value, occurredAt)) {
          errors.push({
            path: `relatedPersons.${index}.id`,
            code: 'subject_not_adult',
            message: 'a related person must have been of full civil capacity at the time',
          });
        } else if (relatedPersons.some((p) => p.id === check.value && p.role === person.role)) {
          errors.push({
            path: `relatedPersons.${index}`,
            code: 'validation_failed',
            message: 'named twice in the same role',
          });
        } else {
          relatedPersons.push({ role: person.role, id: check.value, name: person.name });
        }
      });
    }
  }

  const consentCategories: ConsentGatedCategory[] = [];
  if (kind === 'natural_person') {
    for (const hit of findConsentGatedFields(input.data)) {
      if (!input.consentRef) {
        errors.push({
          path: `data.${hit.path}`,
          code: 'consent_required',
          message: `'${hit.key}' is collected only with the subject's written consent; cite it as consentRef`,
        });
      }
      if (!consentCategories.includes(hit.category)) consentCategories.push(hit.category);
    }
  }

  const data = entry.data.safeParse(input.data);
  if (!data.success) errors.push(...zodIssuesToErrors(data.error.issues, 'data'));

  if (errors.length > 0 || !subject.ok || !data.success) return { ok: false, errors };

  const severity = resolveSeverity(entry, data.data);
  const record: ValidatedRecord = {
    entry,
    subject: { kind, id: subject.value, name: input.subject.name },
    occurredAt,
    occurredOn,
    data: data.data,
    relatedPersons,
    consentCategories,
    publicity: effectivePublicity(entry, kind, severity),
    displayUntil: displayUntil(entry, occurredAt, data.data, severity),
  };
  if (input.sourceId !== undefined) record.sourceId = input.sourceId;
  if (input.consentRef !== undefined) record.consentRef = input.consentRef;
  if (severity !== undefined) record.severity = severity;
  if (input.reason !== undefined) record.reason = input.reason;
  return { ok: true, record };
}
