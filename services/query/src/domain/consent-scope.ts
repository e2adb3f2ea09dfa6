import { findEntry, type ReportItem } from '@credit/schema';
import type { ConsentRow, RecordRow } from '../repositories/read-model-repository.ts';
import type { Viewer } from './access-policy.ts';

/** A reader as a consent names its recipients; the public is never one. */
export type ConsentReader =
  | { kind: 'agency'; id: string; purpose: string }
  | { kind: 'department'; id: string }
  | { kind: 'public' };

export function consentReaderOf(viewer: Exclude<Viewer, { audience: 'self' }>): ConsentReader {
  if (viewer.audience === 'agency')
    return { kind: 'agency', id: viewer.agency.uscc, purpose: viewer.authorisation.purpose };
  return { kind: 'department', id: viewer.principal.org ?? '' };
}

/** The consent-gated fields (收入、存款…) a record's data carries. */
export function gatedFieldsOf(category: string, data: Record<string, unknown>): string[] {
  return (findEntry(category)?.consentGatedFields ?? []).filter((field) => data[field] !== undefined);
}

/**
 * Whether the consent a record cites lets this reader see its gated values: the consent stands
 * (not revoked, not lapsed), names the reader among its recipients and, for an agency, names the
 * purpose of the authorisation it reads on. No consent on file means nobody but the subject.
 */
export function withinConsent(reader: ConsentReader, consent: ConsentRow | undefined, now: Date): boolean {
  if (!consent || reader.kind === 'public' || consent.revokedAt !== null) return false;
  if (consent.validUntil !== null && consent.validUntil.getTime() <= now.getTime()) return false;
  if (!consent.recipients.some((r) => r.kind === reader.kind && r.id === reader.id)) return false;
  return reader.kind !== 'agency' || consent.purposes.includes(reader.purpose);
}

/** The key a record's cited consent is found under in a `consentKey` map. */
export function consentKey(subjectKey: Buffer | string, consentId: string): string {
  return `${typeof subjectKey === 'string' ? subjectKey : subjectKey.toString('hex')}/${consentId}`;
}

/**
 * An item as a reader outside its consent's scope may see it: the gated values left out of
 * `data` and named in `redacted`, so the reader knows something was withheld and why.
 */
export function redactGated(
  item: ReportItem,
  row: RecordRow,
  reader: ConsentReader,
  consents: ReadonlyMap<string, ConsentRow>,
  now: Date,
): ReportItem {
  const gated = gatedFieldsOf(row.category, item.data);
  if (gated.length === 0) return item;
  const consent = row.consentRef ? consents.get(consentKey(row.subjectKey, row.consentRef)) : undefined;
  if (withinConsent(reader, consent, now)) return item;
  const data = { ...item.data };
  for (const field of gated) delete data[field];
  return { ...item, data, redacted: gated };
}
