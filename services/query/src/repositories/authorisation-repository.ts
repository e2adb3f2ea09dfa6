import type { Database, Executor } from '@credit/db';
import type { AuthorisationView } from '@credit/schema';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { authorisations } from '../db/schema.ts';

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
    historyFrom: row.historyFrom ? row.historyFrom.toISOString().slice(0, 10) : null,
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
    async insert(
      row: typeof authorisations.$inferInsert,
      executor: Executor = db,
    ): Promise<AuthorisationRow> {
      const [inserted] = await executor.insert(authorisations).values(row).onConflictDoNothing().returning();
      if (inserted) return inserted;
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

    async listForSubject(subjectKey: Buffer): Promise<AuthorisationRow[]> {
      return db
        .select()
        .from(authorisations)
        .where(eq(authorisations.subjectKey, subjectKey))
        .orderBy(desc(authorisations.grantedAt));
    },

    async revoke(subjectKey: Buffer, id: string, now: Date): Promise<AuthorisationRow | undefined> {
      await db
        .update(authorisations)
        .set({ revokedAt: now })
        .where(
          and(
            eq(authorisations.subjectKey, subjectKey),
            eq(authorisations.authorisationId, id),
            isNull(authorisations.revokedAt),
          ),
        );
      return this.find(subjectKey, id);
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
