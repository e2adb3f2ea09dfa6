import type { Principal } from '@credit/auth';
import { type Executor, inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import type { SubjectGradesPage } from '@credit/schema';
import { isLogged, purposeOf, resolveViewer, type Viewer, type ViewerRequest } from './access-policy.ts';
import type { FileReaderContext } from './file-reader.ts';
import { gradeHistoryPage, gradesPage } from './grades.ts';
import { requesterRole } from './report-builder.ts';
import type { SubjectRef } from './subject-key.ts';

/**
 * A subject's grades on their own, REST and GraphQL alike: the subject, a department within its
 * remit (stating a purpose) or the credit office. An agency reads them in the credit report, where
 * its authorisation is used once; a read here would not use it. Reads by others than the subject
 * are logged (查询使用登记), naming no record. This is the REST read, the history a page at a
 * time: each page is a read, logged as one.
 */
export async function readGradesPage(
  context: FileReaderContext,
  principal: Principal,
  subject: SubjectRef,
  request: ViewerRequest,
  now: Date,
  page: { after: readonly [at: string, feedSeq: number] | undefined; limit: number },
): Promise<SubjectGradesPage> {
  return withGradeReader(context, principal, subject, request, 'rest', now, (tx, viewer) =>
    gradesPage(tx, subject.key, viewer, now, page),
  );
}

/** The grades with the history a page at a time as GraphQL pages it: each change with its key. */
export async function readGradeHistory(
  context: FileReaderContext,
  principal: Principal,
  subject: SubjectRef,
  request: ViewerRequest,
  now: Date,
  page: { after: readonly [at: string, feedSeq: number] | undefined; limit: number },
) {
  return withGradeReader(context, principal, subject, request, 'graphql', now, (tx, viewer) =>
    gradeHistoryPage(tx, subject.key, viewer, now, page),
  );
}

async function withGradeReader<T>(
  context: FileReaderContext,
  principal: Principal,
  subject: SubjectRef,
  request: ViewerRequest,
  channel: 'rest' | 'graphql',
  now: Date,
  read: (tx: Executor, viewer: Viewer) => Promise<T>,
): Promise<T> {
  return inTransaction(context.db, async (tx) => {
    const viewer = await resolveViewer(context, tx, principal, subject, request, now);
    if (viewer.audience === 'agency')
      throw new ProblemError(
        'forbidden',
        'agencies read grades in the credit report, which uses the subject’s authorisation',
      );
    if (isLogged(viewer)) {
      await context.accessLog.append(tx, {
        subjectKey: subject.key,
        accessedAt: now,
        role: requesterRole(viewer),
        org: principal.org ?? null,
        tokenSubject: principal.sub,
        purpose: purposeOf(viewer),
        authorisationId: null,
        reportId: null,
        reportDigest: null,
        channel,
        records: [],
      });
    }
    return read(tx, viewer);
  });
}
