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

/**
 * Refuses unless the caller is the subject itself (a `subject` token for this identifier) or
 * holds one of `roles`: the rule of every route that shows a subject what concerns them.
 */
export function requireSelfOr(
  keyring: Keyring,
  principal: { roles: readonly string[]; subjectId?: string | undefined },
  subject: SubjectRef,
  roles: readonly string[],
  message: string,
): void {
  if (roles.some((role) => principal.roles.includes(role))) return;
  const self =
    principal.roles.includes('subject') &&
    tokenSubject(keyring, principal.subjectId)?.key.equals(subject.key);
  if (!self) throw new ProblemError('forbidden', message);
}
