import { ProblemError } from '@credit/errors';
import type { ChangeOutcome } from './record-changes.ts';

/** A correction or withdrawal that was written, or found identical to the current version. */
export type WrittenChange = Extract<ChangeOutcome, { kind: 'changed' | 'unchanged' }>;

export function isWritten(outcome: ChangeOutcome): outcome is WrittenChange {
  return outcome.kind === 'changed' || outcome.kind === 'unchanged';
}

/** Maps a refused correction or withdrawal to its problem. */
export function changeProblem(outcome: Exclude<ChangeOutcome, WrittenChange>): ProblemError {
  switch (outcome.kind) {
    case 'not_found':
      return new ProblemError('not_found', 'this provider has no record under that sourceId');
    case 'withdrawn':
      return new ProblemError(
        'record_withdrawn',
        'a withdrawn record cannot be corrected; push a new record',
        {
          recordId: outcome.recordId,
        },
      );
    case 'erased':
      return new ProblemError('record_erased', 'this record’s content was erased; push a new record', {
        recordId: outcome.recordId,
      });
    case 'precondition_failed':
      return new ProblemError('precondition_failed', `the record is at version ${outcome.currentVersion}`, {
        currentVersion: outcome.currentVersion,
      });
    case 'immutable':
      return new ProblemError('immutable_field', outcome.detail, {
        errors: [{ path: outcome.path, code: 'immutable_field', message: outcome.detail }],
      });
  }
}
