import type { Principal } from '@credit/auth';
import { inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import type { SubjectGrades } from '@credit/schema';
import { isLogged, purposeOf, resolveViewer, type ViewerRequest } from './access-policy.ts';
import type { FileReaderContext } from './file-reader.ts';
import { gradeRowsOf, gradesView } from './grades.ts';
import { requesterRole } from './report-builder.ts';
import type { SubjectRef } from './subject-key.ts';

/**
 * A subject's grades on their own, REST and GraphQL alike: the subject, a department within its
 * remit (stating a purpose) or the credit office. An agency reads them in the credit report, where
 * its authorisation is used once; a read here would not use it. Reads by others than the subject
 * are logged (查询使用登记), naming no record.
 */
export async function readGrades(
  context: FileReaderContext,
  principal: Principal,
  subject: SubjectRef,
  request: ViewerRequest,
  channel: 'rest' | 'graphql',
  now: Date,
): Promise<SubjectGrades> {
  return inTransaction(context.db, async (tx) => {
    const viewer = await resolveViewer(context, tx, principal, subject, request, now);
    if (viewer.audience === 'agency')
      throw new ProblemError(
        'forbidden',
        'agencies read grades in the credit report, which uses the subject’s authorisation',
      );
    const rows = await gradeRowsOf(tx, [subject.key]);
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
    return gradesView(rows.get(subject.key.toString('hex')), viewer, now);
  });
}
