import type { Keyring } from '@credit/crypto';
import { type SubjectKind, type SubjectRef, subjectKeyOf } from '@credit/schema';

export { requireSubject, tokenSubject as resolveSubject } from '@credit/http';
export type { SubjectRef };

export function subjectKey(keyring: Keyring, kind: SubjectKind, identifier: string): Buffer {
  return subjectKeyOf(keyring.blindIndex, kind, identifier);
}
