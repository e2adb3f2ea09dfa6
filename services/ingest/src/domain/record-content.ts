import { canonicalJson, chainHash, commitmentOfCanonical, type Keyring, newSalt } from '@credit/crypto';

/**
 * The content a version commits to, in canonical form. Names appear as keyed MACs and subjects
 * as blind indexes, so the commitment and fingerprint can be published or compared without
 * revealing who the record is about.
 */
export interface RecordContent {
  category: string;
  subject: { key: string; kind: string; nameMac: string };
  occurredAt: string;
  data: Record<string, unknown>;
  relatedPersons: { role: string; key: string; nameMac: string }[];
  consentRef: string | null;
  linkedFrom: { recordId: string; role: string } | null;
}

export function sortRelated<T extends { role: string; key: string }>(persons: T[]): T[] {
  return [...persons].sort((a, b) =>
    a.role + a.key < b.role + b.key ? -1 : a.role + a.key > b.role + b.key ? 1 : 0,
  );
}

/** Keyed digest of the content: recognises an identical resubmission without being invertible. */
export function contentFingerprint(keyring: Keyring, content: RecordContent): Buffer {
  return keyring.blindIndex('fingerprint', canonicalContent(content));
}

/** Each content object is serialised once: the fingerprint and the commitment share it. */
const canonicalForms = new WeakMap<RecordContent, string>();

export function canonicalContent(content: RecordContent): string {
  let canonical = canonicalForms.get(content);
  if (canonical === undefined) {
    canonical = canonicalJson(canonicalOrder(content));
    canonicalForms.set(content, canonical);
  }
  return canonical;
}

function canonicalOrder(content: RecordContent): RecordContent {
  return { ...content, relatedPersons: sortRelated(content.relatedPersons) };
}

export interface ChainHeader {
  recordId: string;
  version: number;
  operation: string;
  status: string;
  provider: string;
  receivedAt: string;
  publicity: string;
  severity: string | null;
  displayUntil: string | null;
  reasonCode: string | null;
  reason: string | null;
  commitment: string;
}

export interface SealedVersion {
  salt: Buffer;
  commitment: Buffer;
  hash: Buffer;
}

/** Commits to the content with a fresh salt and links the version onto the previous hash. */
export function sealVersion(
  previousHash: Buffer,
  content: RecordContent,
  header: Omit<ChainHeader, 'commitment'>,
): SealedVersion {
  const salt = newSalt();
  const commitment = commitmentOfCanonical(salt, canonicalContent(content));
  const hash = chainHash(previousHash, { ...header, commitment: commitment.toString('hex') });
  return { salt, commitment, hash };
}

/** Recomputes a stored version's commitment and hash; false means the row was altered. */
export function verifySealedVersion(
  previousHash: Buffer,
  content: RecordContent,
  header: Omit<ChainHeader, 'commitment'>,
  stored: { salt: Buffer | null; commitment: Buffer; prevHash: Buffer; hash: Buffer },
): boolean {
  if (!stored.prevHash.equals(previousHash)) return false;
  if (stored.salt) {
    const commitment = commitmentOfCanonical(stored.salt, canonicalContent(content));
    if (!commitment.equals(stored.commitment)) return false;
  }
  const hash = chainHash(previousHash, { ...header, commitment: stored.commitment.toString('hex') });
  return hash.equals(stored.hash);
}
