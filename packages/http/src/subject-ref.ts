import type { Keyring } from '@credit/crypto';
import { ProblemError } from '@credit/errors';
import { resolveSubjectIdentifier, type SubjectRef } from '@credit/schema';

/** Resolves a subject identifier from a request, or refuses it as `invalid_identifier` at `path`. */
export function requireSubject(keyring: Keyring, raw: string, path = 'id'): SubjectRef {
  const subject = resolveSubjectIdentifier(keyring.blindIndex, raw);
  if (!subject) {
    throw ProblemError.fromFieldErrors([
      { path, code: 'invalid_identifier', message: 'not a valid citizen identity number or USCC' },
    ]);
  }
  return subject;
}

/** The subject a `subject` token speaks for (`subject_id` claim), if any. */
export function tokenSubject(keyring: Keyring, subjectId: string | undefined): SubjectRef | undefined {
  return resolveSubjectIdentifier(keyring.blindIndex, subjectId);
}
