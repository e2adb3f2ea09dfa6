import { identityAad, idFromDigest, type Keyring } from '@credit/crypto';
import {
  resolveSubjectIdentifier,
  type SubjectKind,
  subjectKeyOf as sharedSubjectKeyOf,
} from '@credit/schema';

/**
 * How the ingest service turns identities into keys. Every derivation is a keyed HMAC under the
 * platform's blind-index key with its own domain, so nothing here can be recomputed, or
 * brute-forced from a low-entropy identity number, without that key.
 */

/** The subject's blind index: the lookup and distribution key of every subject-scoped table. */
export function subjectKeyOf(keyring: Keyring, kind: SubjectKind, normalisedId: string): Buffer {
  return sharedSubjectKeyOf(keyring.blindIndex, kind, normalisedId);
}

/** A provider's record id: reproducible from (provider, sourceId), so idempotency is a key probe. */
export function recordIdOf(keyring: Keyring, provider: string, sourceId: string): string {
  return idFromDigest('rec', keyring.blindIndex('record', `${provider}\u0000${sourceId}`));
}

/** The record kept against a related person of an organisation record. */
export function linkedRecordIdOf(
  keyring: Keyring,
  parentRecordId: string,
  role: string,
  personKey: Buffer,
): string {
  return idFromDigest(
    'rec',
    keyring.blindIndex('linked-record', `${parentRecordId}\u0000${role}\u0000${personKey.toString('hex')}`),
  );
}

/** Stands in for a name inside hashed content: proves the name without exposing it to brute force. */
export function nameMacOf(keyring: Keyring, name: string): string {
  return keyring.blindIndex('name', name.normalize('NFC').trim()).toString('hex');
}

/** Associated data binding a ciphertext to its subject, so a cipher copied to another row fails to open. */
export function identifierAad(subjectKey: Buffer): Buffer {
  return identityAad('identifier', subjectKey);
}

export function nameAad(subjectKey: Buffer): Buffer {
  return identityAad('name', subjectKey);
}

/**
 * The key of the subject a `subject` token speaks for (its `subject_id` claim): a citizen
 * identity number or a USCC. Undefined when the claim is missing or not a valid identifier.
 */
export function subjectKeyForToken(keyring: Keyring, subjectId: string | undefined): Buffer | undefined {
  return resolveSubjectIdentifier(keyring.blindIndex, subjectId)?.key;
}
