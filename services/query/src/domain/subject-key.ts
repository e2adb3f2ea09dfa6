import type { Keyring } from '@credit/crypto';
import { ProblemError } from '@credit/errors';
import { checkCitizenId, checkUscc, identifierScheme, type SubjectKind } from '@credit/schema';

export interface SubjectRef {
  key: Buffer;
  scheme: 'citizen_id' | 'uscc';
  identifier: string;
}

/** The blind index of a subject identifier, the same derivation ingest uses (shared keyring). */
export function subjectKey(keyring: Keyring, kind: SubjectKind, identifier: string): Buffer {
  return keyring.blindIndex(`subject:${identifierScheme(kind)}`, identifier);
}

/** Resolves an identifier from a path or token: a citizen identity number or a USCC. */
export function resolveSubject(keyring: Keyring, raw: string | undefined): SubjectRef | undefined {
  if (!raw) return undefined;
  const person = checkCitizenId(raw);
  if (person.ok)
    return {
      key: subjectKey(keyring, 'natural_person', person.value),
      scheme: 'citizen_id',
      identifier: person.value,
    };
  const organisation = checkUscc(raw);
  if (organisation.ok)
    return {
      key: subjectKey(keyring, 'legal_person', organisation.value),
      scheme: 'uscc',
      identifier: organisation.value,
    };
  return undefined;
}

export function requireSubject(keyring: Keyring, raw: string): SubjectRef {
  const subject = resolveSubject(keyring, raw);
  if (!subject) {
    throw ProblemError.fromFieldErrors([
      { path: 'id', code: 'invalid_identifier', message: 'not a valid citizen identity number or USCC' },
    ]);
  }
  return subject;
}
