import { formatOccurrence } from '@credit/calendar';
import { genesisHash, type Keyring } from '@credit/crypto';
import type { records, recordVersions } from '../db/schema.ts';
import { nameAad, nameMacOf } from './identity.ts';
import { type RecordContent, verifySealedVersion } from './record-content.ts';

type RecordRow = typeof records.$inferSelect;
type VersionRow = typeof recordVersions.$inferSelect;

/** The subject's name on a version; an erased version has none left. */
export function versionName(keyring: Keyring, row: VersionRow): string {
  if (row.erasedAt) return '';
  return keyring.decrypt(row.keyId, row.subjectNameCipher, nameAad(row.subjectKey));
}

/** The content a stored version committed to, rebuilt from the row (names as keyed MACs). */
export function versionContent(keyring: Keyring, record: RecordRow, version: VersionRow): RecordContent {
  return {
    category: record.category,
    subject: {
      key: record.subjectKey.toString('hex'),
      kind: record.subjectKind,
      nameMac: nameMacOf(keyring, versionName(keyring, version)),
    },
    occurredAt: formatOccurrence({ at: version.occurredAt, date: version.occurredOn }),
    data: version.data ?? {},
    relatedPersons: version.relatedPersons.map((p) => ({
      role: p.role,
      key: p.subjectKey,
      nameMac: nameMacOf(
        keyring,
        keyring.decrypt(
          p.keyId,
          Buffer.from(p.nameCipher, 'base64'),
          nameAad(Buffer.from(p.subjectKey, 'hex')),
        ),
      ),
    })),
    consentRef: version.consentRef,
    linkedFrom: record.parentRecordId
      ? { recordId: record.parentRecordId, role: record.relatedRole ?? '' }
      : null,
  };
}

/**
 * Recomputes one version's commitment (when its salt is still there) and its chain link; false
 * when any stored byte was altered. An erased version lost the header fields that went with its
 * content (severity, reason): only its link onto the previous hash is checked here, its own hash
 * being vouched for by its log leaf (the audit compares them) and by the next version's link.
 */
export function versionHolds(
  keyring: Keyring,
  record: RecordRow,
  version: VersionRow,
  previous: Buffer,
): boolean {
  if (version.erasedAt) return version.prevHash.equals(previous);
  return verifySealedVersion(
    previous,
    versionContent(keyring, record, version),
    {
      recordId: version.recordId,
      version: version.version,
      operation: version.operation,
      status: version.status,
      provider: version.providerCode,
      receivedAt: version.receivedAt.toISOString(),
      publicity: version.publicity,
      severity: version.severity,
      displayUntil: version.displayUntil?.toISOString() ?? null,
      reasonCode: version.reasonCode,
      reason: version.reason,
    },
    {
      salt: version.contentSalt,
      commitment: version.contentCommitment,
      prevHash: version.prevHash,
      hash: version.hash,
    },
  );
}

/** Every version of a record, in order, holds and links onto the one before. */
export function chainHolds(keyring: Keyring, record: RecordRow, versions: readonly VersionRow[]): boolean {
  let previous = genesisHash;
  for (const [index, version] of versions.entries()) {
    if (version.version !== index + 1) return false;
    try {
      if (!versionHolds(keyring, record, version, previous)) return false;
    } catch {
      // A ciphertext that no longer decrypts was altered too.
      return false;
    }
    previous = version.hash;
  }
  return true;
}
