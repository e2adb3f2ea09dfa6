import type { Keyring } from '@credit/crypto';
import type { Database } from '@credit/db';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { recordVersions } from '../db/schema.ts';
import { versionName } from '../domain/version-check.ts';

/** One name a subject bore, as the registering authority recorded it, and for how long. */
export interface RegisteredName {
  name: string;
  provider: string;
  recordId: string;
  since: Date;
  /** When the registry recorded the next name; null for the current one. */
  until: Date | null;
}

/**
 * A subject's names as its registering authority recorded them (catalogue `namesSubject`): the
 * current one and the former ones (曾用名), oldest first. Standing versions only: a withdrawn
 * registration record names nobody, an erased one has no name left.
 */
export function createSubjectNameRepository(db: Database, keyring: Keyring) {
  return {
    async registeredNames(subjectKey: Buffer): Promise<RegisteredName[]> {
      const versions = await db
        .select()
        .from(recordVersions)
        .where(
          and(
            eq(recordVersions.subjectKey, subjectKey),
            eq(recordVersions.namesSubject, true),
            eq(recordVersions.status, 'active'),
            isNull(recordVersions.erasedAt),
          ),
        )
        .orderBy(asc(recordVersions.receivedAt), asc(recordVersions.version));
      const names: RegisteredName[] = [];
      for (const version of versions) {
        const name = versionName(keyring, version);
        const previous = names.at(-1);
        if (previous?.name === name) continue;
        if (previous) previous.until = version.receivedAt;
        names.push({
          name,
          provider: version.providerCode,
          recordId: version.recordId,
          since: version.receivedAt,
          until: null,
        });
      }
      return names;
    },
  };
}

export type SubjectNameRepository = ReturnType<typeof createSubjectNameRepository>;
