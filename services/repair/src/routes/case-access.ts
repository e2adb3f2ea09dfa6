import type { Principal } from '@credit/auth';
import type { Keyring } from '@credit/crypto';
import { ProblemError } from '@credit/errors';
import { tokenSubject } from '@credit/http';
import type { SubjectRef } from '@credit/schema';

/** The subject the caller speaks for; only subjects file objections and repairs, about themselves. */
export function callerSubject(keyring: Keyring, principal: Principal): SubjectRef {
  const subject = tokenSubject(keyring, principal.subjectId);
  if (!subject) throw new ProblemError('forbidden', 'the token names no valid subject (subject_id claim)');
  return subject;
}

/** Who may see a case: its subject, the responsible department, the credit office. */
export function maySee(
  keyring: Keyring,
  principal: Principal,
  subjectKey: Buffer,
  department: string,
): boolean {
  if (principal.roles.includes('admin')) return true;
  if (
    principal.org === department &&
    (principal.roles.includes('provider') || principal.roles.includes('government'))
  )
    return true;
  return tokenSubject(keyring, principal.subjectId)?.key.equals(subjectKey) ?? false;
}

/** Only the responsible department (or the credit office) decides. */
export function requireResponsible(principal: Principal, department: string): string {
  if (principal.roles.includes('admin')) return principal.org ?? principal.sub;
  if (principal.org !== department)
    throw new ProblemError('not_responsible_department', `${department} is responsible for this`);
  return principal.org;
}
