import { type Database, type Executor, inTransaction } from '@credit/db';
import { appendEvents } from '@credit/events';
import type { AuthorisationView, QueryEvent } from '@credit/schema';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { authorisations, queryOutbox, querySchemaName } from '../db/schema.ts';

export type AuthorisationRow = typeof authorisations.$inferSelect;

export function authorisationState(row: AuthorisationRow, now: Date): AuthorisationView['state'] {
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (row.maxUses !== null && row.uses >= row.maxUses) return 'exhausted';
  return 'active';
}

export function toAuthorisationView(row: AuthorisationRow, now: Date): AuthorisationView {
  return {
    id: row.authorisationId,
    agency: row.agencyUscc,
    purpose: row.purpose as AuthorisationView['purpose'],
    scope: row.scope,
    historyFrom: row.historyFrom,
    expiresAt: row.expiresAt.toISOString(),
    maxUses: row.maxUses,
    uses: row.uses,
    state: authorisationState(row, now),
    origin: row.origin,
    grantedAt: row.grantedAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** Authorisations (授权) subjects give agencies; the use counter is the only value that moves. */
export function createAuthorisationRepository(db: Database) {
  return {
    /** Grants (idempotently) and announces the grant in the same transaction. */
    async insert(row: typeof authorisations.$inferInsert, executor?: Executor): Promise<AuthorisationRow> {
      if (!executor) return inTransaction(db, (tx) => this.insert(row, tx));
      const [inserted] = await executor.insert(authorisations).values(row).onConflictDoNothing().returning();
      if (inserted) {
        const payload: QueryEvent<'authorisation.granted'> = {
          authorisationId: inserted.authorisationId,
          agency: inserted.agencyUscc,
          purpose: inserted.purpose,
          scope: inserted.scope,
          expiresAt: inserted.expiresAt.toISOString(),
          maxUses: inserted.maxUses,
          origin: inserted.origin,
          grantedAt: inserted.grantedAt.toISOString(),
        };
        await appendEvents(
          executor,
          queryOutbox,
          querySchemaName,
          [
            {
              type: 'authorisation.granted',
              subjectKey: inserted.subjectKey,
              aggregateId: inserted.authorisationId,
              payload,
            },
          ],
          inserted.grantedAt,
        );
        return inserted;
      }
      const [existing] = await executor
        .select()
        .from(authorisations)
        .where(
          and(
            eq(authorisations.subjectKey, row.subjectKey),
            eq(authorisations.authorisationId, row.authorisationId),
          ),
        );
      if (!existing) throw new Error('authorisation neither inserted nor found');
      return existing;
    },

    async find(
      subjectKey: Buffer,
      id: string,
      executor: Executor = db,
    ): Promise<AuthorisationRow | undefined> {
      const [row] = await executor
        .select()
        .from(authorisations)
        .where(and(eq(authorisations.subjectKey, subjectKey), eq(authorisations.authorisationId, id)));
      return row;
    },

    /**
     * A subject's authorisations newest first, `limit` of them after the key `before` (grant
     * time, then id: ids recorded from an identity provider do not begin with their time), read
     * by keyset down authorisations_subject_pages_idx.
     */
    async pageForSubject(
      subjectKey: Buffer,
      before: readonly [grantedAt: string, id: string] | undefined,
      limit: number,
    ): Promise<AuthorisationRow[]> {
      return db
        .select()
        .from(authorisations)
        .where(
          and(
            eq(authorisations.subjectKey, subjectKey),
            before
              ? sql`(${authorisations.grantedAt}, ${authorisations.authorisationId}) < (${before[0]}::timestamptz, ${before[1]})`
              : undefined,
          ),
        )
        .orderBy(desc(authorisations.grantedAt), desc(authorisations.authorisationId))
        .limit(limit);
    },

    /** Revokes and announces the revocation together; revoking twice announces once. */
    async revoke(subjectKey: Buffer, id: string, now: Date): Promise<AuthorisationRow | undefined> {
      return inTransaction(db, async (tx) => {
        const revoked = await tx
          .update(authorisations)
          .set({ revokedAt: now })
          .where(
            and(
              eq(authorisations.subjectKey, subjectKey),
              eq(authorisations.authorisationId, id),
              isNull(authorisations.revokedAt),
            ),
          )
          .returning({ id: authorisations.authorisationId });
        if (revoked.length > 0) {
          const payload: QueryEvent<'authorisation.revoked'> = {
            authorisationId: id,
            revokedAt: now.toISOString(),
          };
          await appendEvents(
            tx,
            queryOutbox,
            querySchemaName,
            [{ type: 'authorisation.revoked', subjectKey, aggregateId: id, payload }],
            now,
          );
        }
        return this.find(subjectKey, id, tx);
      });
    },

    /**
     * Takes one use if the authorisation is still live, in the caller's transaction: a report
     * that fails afterwards rolls the use back. Concurrent reports cannot overrun `maxUses`.
     */
    async consume(tx: Executor, subjectKey: Buffer, id: string, now: Date): Promise<boolean> {
      const rows = await tx
        .update(authorisations)
        .set({ uses: sql`${authorisations.uses} + 1` })
        .where(
          and(
            eq(authorisations.subjectKey, subjectKey),
            eq(authorisations.authorisationId, id),
            isNull(authorisations.revokedAt),
            sql`${authorisations.expiresAt} > ${now}`,
            sql`(${authorisations.maxUses} IS NULL OR ${authorisations.uses} < ${authorisations.maxUses})`,
          ),
        )
        .returning({ uses: authorisations.uses });
      return rows.length === 1;
    },
  };
}

export type AuthorisationRepository = ReturnType<typeof createAuthorisationRepository>;
