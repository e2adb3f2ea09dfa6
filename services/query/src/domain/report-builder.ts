import { formatOccurrence } from '@credit/calendar';
import type { Keyring } from '@credit/crypto';
import { newId, platformIssuer } from '@credit/crypto';
import {
  type CreditReport,
  catalogueVersion,
  discloseIdentity,
  findEntry,
  type ReportItem,
  type SubjectGrades,
  type SubjectKind,
} from '@credit/schema';
import {
  type ConsentRow,
  openSubject,
  type RecordRow,
  type SubjectRow,
} from '../repositories/read-model-repository.ts';
import { admits, identityReaderOf, marksOf, purposeOf, type Viewer } from './access-policy.ts';
import { consentReaderOf, redactGated } from './consent-scope.ts';
import type { SubjectRef } from './subject-key.ts';

/** A read-model row as a report item; related persons are shaped by the caller (masking differs). */
export function itemOf(row: RecordRow, relatedPersons: ReportItem['relatedPersons']): ReportItem {
  return {
    recordId: row.recordId,
    version: row.version,
    category: row.category,
    categoryName: findEntry(row.category)?.zh ?? row.category,
    class: row.classCode,
    provider: row.providerCode,
    occurredAt: formatOccurrence({ at: row.occurredAt, date: row.occurredOn }),
    receivedAt: row.receivedAt.toISOString(),
    severity: row.severity,
    publicity: row.publicity,
    displayUntil: row.displayUntil?.toISOString() ?? null,
    status: row.status,
    disputed: row.disputed,
    data: row.data,
    redacted: [],
    relatedPersons,
    linkedFrom: row.linkedFrom ?? null,
    hash: row.hash,
  };
}

/**
 * Shapes read-model rows into report items for a viewer: related persons masked for it, and
 * consent-gated values left out unless the consent the record cites names this viewer.
 */
export function reportItems(
  keyring: Keyring,
  related: Map<string, SubjectRow>,
  consents: ReadonlyMap<string, ConsentRow>,
  viewer: Viewer,
  rows: RecordRow[],
  now: Date,
): ReportItem[] {
  const reader = identityReaderOf(viewer);
  return rows
    .filter((row) => admits(viewer, row, now))
    .map((row) => {
      const item = itemOf(
        row,
        row.relatedPersons.map((person) => {
          const subject = related.get(person.subjectKey);
          const opened = subject ? openSubject(keyring, subject) : { identifier: '', name: '' };
          return {
            role: person.role,
            ...discloseIdentity(reader, 'related', 'natural_person', {
              id: opened.identifier,
              name: opened.name,
            }),
          };
        }),
      );
      if (viewer.audience === 'self') {
        item.marks = marksOf(row, now);
        return item;
      }
      return redactGated(item, row, consentReaderOf(viewer), consents, now);
    });
}

export function requesterRole(viewer: Viewer): string {
  if (viewer.audience === 'self') return 'subject';
  if (viewer.audience === 'agency') return 'agency';
  return viewer.principal.roles.includes('government') ? 'government' : 'admin';
}

/** The report document itself (unsigned): who asked, on what footing, about whom, and what they may see. */
export function assembleReport(
  viewer: Viewer,
  subject: SubjectRef,
  identity: { kind: SubjectKind; name: string },
  items: ReportItem[],
  grades: SubjectGrades,
  now: Date,
): CreditReport {
  return {
    reportId: newId('rpt', now.getTime()),
    issuer: platformIssuer,
    generatedAt: now.toISOString(),
    audience: viewer.audience,
    requester: { role: requesterRole(viewer), org: viewer.principal.org ?? null },
    purpose: purposeOf(viewer),
    authorisationId: viewer.audience === 'agency' ? viewer.authorisation.authorisationId : null,
    subject: {
      kind: identity.kind,
      ...discloseIdentity(identityReaderOf(viewer), 'subject', identity.kind, {
        id: subject.identifier,
        name: identity.name,
      }),
    },
    catalogueVersion,
    items,
    grades,
  };
}
