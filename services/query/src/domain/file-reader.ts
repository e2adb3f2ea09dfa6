import type { Principal } from '@credit/auth';
import { canonicalJson } from '@credit/crypto';
import { type Database, type Executor, inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { reportDigest, subjectLabel } from '@credit/report-document';
import type { CreditReport, ReportItem, SubjectKind } from '@credit/schema';
import { issuedReports } from '../db/schema.ts';
import type { AccessLogRepository } from '../repositories/access-log-repository.ts';
import { openSubject, type ReadModelRepository } from '../repositories/read-model-repository.ts';
import { isLogged, resolveViewer, type Viewer, type ViewerRequest } from './access-policy.ts';
import type { AuthorisationContext } from './authorisations.ts';
import { gradeRowsOf, gradesView } from './grades.ts';
import { assembleReport, reportItems } from './report-builder.ts';
import type { SubjectRef } from './subject-key.ts';

export interface FileReaderContext extends AuthorisationContext {
  db: Database;
  keyring: Parameters<typeof openSubject>[0];
  readModel: ReadModelRepository;
  accessLog: AccessLogRepository;
}

export interface FileRequest {
  subject: SubjectRef;
  request: ViewerRequest;
  /** Narrows what is returned (a GraphQL page); the access log records what was returned. */
  select?: (items: ReportItem[]) => ReportItem[];
  /**
   * Whether the read issues a report to be signed (numbered, registered for verification, its
   * digest logged): every REST report and GraphQL's `report`, not GraphQL's pages of items.
   */
  issue?: boolean;
}

export interface IssuedReport {
  /** The report's canonical JSON: what its signature covers and what is sent. */
  canonical: string;
  /** SHA-256 of `canonical`, hex. */
  digest: string;
}

export interface FileRead {
  viewer: Viewer;
  report: CreditReport;
  /** Present when the read issued the report (`issue`). */
  issued?: IssuedReport;
}

/**
 * Reads subjects' files for one caller, REST or GraphQL alike, in one transaction: resolve each
 * viewer (the one policy), take one use of an agency's authorisation, fetch every subject's
 * records, related persons and grades with one query each, and append an access-log entry per subject
 * naming exactly the records returned. A refusal for one subject is returned as its result and
 * does not stop the others.
 */
export async function readFiles(
  context: FileReaderContext,
  principal: Principal,
  requests: readonly FileRequest[],
  channel: 'rest' | 'graphql',
  now: Date,
): Promise<(FileRead | ProblemError)[]> {
  return inTransaction(context.db, async (tx) => {
    const results: (FileRead | ProblemError | undefined)[] = requests.map(() => undefined);
    const admitted: { index: number; viewer: Viewer }[] = [];
    for (const [index, { subject, request }] of requests.entries()) {
      try {
        const viewer = await resolveViewer(context, tx, principal, subject, request, now);
        if (viewer.audience === 'agency') {
          const consumed = await context.authorisations.consume(
            tx,
            subject.key,
            viewer.authorisation.authorisationId,
            now,
          );
          if (!consumed)
            throw new ProblemError('authorisation_exhausted', 'the authorisation has no uses left');
        }
        admitted.push({ index, viewer });
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        results[index] = error;
      }
    }
    const keys = admitted.map(({ index }) => (requests[index] as FileRequest).subject.key);
    const rowsBySubject = await context.readModel.recordsOfMany(keys, tx);
    const subjectRows = await context.readModel.subjectsByKey(keys, tx);
    const relatedKeys = [...rowsBySubject.values()].flatMap((rows) =>
      rows.flatMap((r) => r.relatedPersons.map((p) => p.subjectKey)),
    );
    const related = await context.readModel.subjectsByKey(
      [...new Set(relatedKeys)].map((k) => Buffer.from(k, 'hex')),
      tx,
    );
    const consents = await context.readModel.consentsCitedBy([...rowsBySubject.values()].flat(), tx);
    const gradesBySubject = await gradeRowsOf(tx, keys);

    for (const { index, viewer } of admitted) {
      const {
        subject,
        select = (items: ReportItem[]) => items,
        issue = channel === 'rest',
      } = requests[index] as FileRequest;
      const hex = subject.key.toString('hex');
      const subjectRow = subjectRows.get(hex);
      if (!subjectRow && viewer.audience === 'government') {
        results[index] = new ProblemError('not_found', 'no records about this subject');
        continue;
      }
      const items = select(
        reportItems(context.keyring, related, consents, viewer, rowsBySubject.get(hex) ?? [], now),
      );
      const identity = subjectRow
        ? { kind: subjectRow.kind as SubjectKind, name: openSubject(context.keyring, subjectRow).name }
        : {
            kind: (subject.scheme === 'citizen_id' ? 'natural_person' : 'legal_person') as SubjectKind,
            name: '',
          };
      const grades = gradesView(gradesBySubject.get(hex), viewer, now);
      const report = assembleReport(viewer, subject, identity, items, grades, now);
      const issued = issue ? await registerIssue(tx, context.signer.kid, subject.key, report) : undefined;
      if (isLogged(viewer)) {
        await context.accessLog.append(tx, {
          subjectKey: subject.key,
          accessedAt: now,
          role: report.requester.role,
          org: report.requester.org,
          tokenSubject: principal.sub,
          purpose: report.purpose,
          authorisationId: report.authorisationId,
          reportId: issued ? report.reportId : null,
          reportDigest: issued ? Buffer.from(issued.digest, 'hex') : null,
          channel,
          records: items.map((item) => ({ id: item.recordId, version: item.version })),
        });
      }
      results[index] = issued ? { viewer, report, issued } : { viewer, report };
    }
    return results as (FileRead | ProblemError)[];
  });
}

/**
 * Numbers the report for verification by its recipient: the number, when and for whom it was
 * issued, the subject as the public may see it named, and the digest of its content (never the
 * content itself).
 */
export async function registerIssue(
  tx: Executor,
  keyId: string,
  subjectKey: Buffer,
  report: CreditReport,
): Promise<IssuedReport> {
  const canonical = canonicalJson(report);
  const digest = reportDigest(canonical);
  await tx.insert(issuedReports).values({
    reportId: report.reportId,
    subjectKey,
    issuedAt: new Date(report.generatedAt),
    audience: report.audience,
    recipientRole: report.requester.role,
    recipientOrg: report.requester.org,
    purpose: report.purpose,
    subjectLabel: subjectLabel(report.subject),
    digest: Buffer.from(digest, 'hex'),
    keyId,
  });
  return { canonical, digest };
}

/** One subject's file; a refusal is thrown. */
export async function readFile(
  context: FileReaderContext,
  principal: Principal,
  request: FileRequest,
  channel: 'rest' | 'graphql',
  now: Date,
): Promise<FileRead> {
  const [result] = await readFiles(context, principal, [request], channel, now);
  if (!result) throw new Error('no result for a single read');
  if (result instanceof ProblemError) throw result;
  return result;
}
