import type { Keyring } from '@credit/crypto';
import { ProblemError } from '@credit/errors';
import { resolveSubjectIdentifier, type SubjectRef } from '@credit/schema';

/**
 * Recently resolved identifiers per keyring. Platforms check the same merchants over and over,
 * and validating an identifier and computing its blind index was a tenth of a listing lookup's
 * CPU. Bounded (oldest first out); only valid identifiers are kept. It holds identifiers in the
 * process's memory, which already holds the key that turns any identifier into its blind index.
 */
const recentCapacity = 20_000;
const recent = new WeakMap<Keyring, Map<string, SubjectRef>>();

function resolveRecent(keyring: Keyring, raw: string): SubjectRef | undefined {
  let cache = recent.get(keyring);
  if (!cache) {
    cache = new Map();
    recent.set(keyring, cache);
  }
  const known = cache.get(raw);
  if (known) return known;
  const subject = resolveSubjectIdentifier(keyring.blindIndex, raw);
  if (!subject) return undefined;
  if (cache.size >= recentCapacity) cache.delete(cache.keys().next().value as string);
  cache.set(raw, subject);
  return subject;
}

/** Resolves a subject identifier from a request, or refuses it as `invalid_identifier` at `path`. */
export function requireSubject(keyring: Keyring, raw: string, path = 'id'): SubjectRef {
  const subject = resolveRecent(keyring, raw);
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
