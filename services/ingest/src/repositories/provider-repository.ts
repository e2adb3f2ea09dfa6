import type { Database, Executor } from '@credit/db';
import { inTransaction, pgErrorCode, pgErrorCodes } from '@credit/db';
import { appendEvents } from '@credit/events';
import {
  type IntermediaryIndustry,
  type Provider,
  type ProviderIndustries,
  platformWideKey,
  providerIndustriesType,
} from '@credit/schema';
import { asc, eq, gt } from 'drizzle-orm';
import { ingestOutbox, ingestSchemaName, providerRevisions, providers } from '../db/schema.ts';

type ProviderRow = typeof providers.$inferSelect;

function toProvider(row: ProviderRow): Provider {
  return {
    code: row.code,
    name: row.name,
    categories: row.categories,
    industries: row.industries,
    status: row.status,
    revision: row.revision,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The provider registry: which department may push which catalogue entries. Every change keeps a revision. */
export function createProviderRepository(db: Database) {
  async function recordRevision(tx: Executor, row: ProviderRow, changedBy: string): Promise<void> {
    await tx.insert(providerRevisions).values({
      code: row.code,
      revision: row.revision,
      name: row.name,
      categories: row.categories,
      industries: row.industries,
      status: row.status,
      changedBy,
      changedAt: row.updatedAt,
    });
  }

  /** Announces the industries a department supervises (the sanctions service follows them). */
  async function announceIndustries(tx: Executor, row: ProviderRow): Promise<void> {
    const payload: ProviderIndustries = {
      provider: row.code,
      industries: row.industries,
      at: row.updatedAt.toISOString(),
    };
    await appendEvents(
      tx,
      ingestOutbox,
      ingestSchemaName,
      [{ type: providerIndustriesType, subjectKey: platformWideKey, aggregateId: row.code, payload }],
      row.updatedAt,
    );
  }

  return {
    async register(
      input: { code: string; name: string; categories: string[]; industries?: IntermediaryIndustry[] },
      changedBy: string,
      now: Date,
    ): Promise<{ created: true; provider: Provider } | { created: false; existing: Provider }> {
      try {
        return await inTransaction(db, async (tx) => {
          const [row] = await tx
            .insert(providers)
            .values({
              ...input,
              categories: [...new Set(input.categories)].sort(),
              industries: [...new Set(input.industries ?? [])].sort(),
              status: 'active',
              revision: 1,
              createdAt: now,
              updatedAt: now,
            })
            .returning();
          if (!row) throw new Error('insert returned no row');
          await recordRevision(tx, row, changedBy);
          if (row.industries.length > 0) await announceIndustries(tx, row);
          return { created: true as const, provider: toProvider(row) };
        });
      } catch (error) {
        if (pgErrorCode(error) !== pgErrorCodes.uniqueViolation) throw error;
        const existing = await this.find(input.code);
        if (!existing) throw error;
        return { created: false, existing };
      }
    },

    async find(code: string, executor: Executor = db): Promise<Provider | undefined> {
      const [row] = await executor.select().from(providers).where(eq(providers.code, code));
      return row ? toProvider(row) : undefined;
    },

    async list(after: string | undefined, limit: number): Promise<Provider[]> {
      const rows = await db
        .select()
        .from(providers)
        .where(after ? gt(providers.code, after) : undefined)
        .orderBy(asc(providers.code))
        .limit(limit);
      return rows.map(toProvider);
    },

    async update(
      code: string,
      patch: {
        name?: string;
        categories?: string[];
        industries?: IntermediaryIndustry[];
        status?: 'active' | 'suspended';
      },
      changedBy: string,
      now: Date,
    ): Promise<Provider | undefined> {
      return inTransaction(db, async (tx) => {
        const [current] = await tx.select().from(providers).where(eq(providers.code, code)).for('update');
        if (!current) return undefined;
        const next = {
          name: patch.name ?? current.name,
          categories: patch.categories ? [...new Set(patch.categories)].sort() : current.categories,
          industries: patch.industries ? [...new Set(patch.industries)].sort() : current.industries,
          status: patch.status ?? current.status,
        };
        const unchanged =
          next.name === current.name &&
          next.status === current.status &&
          next.categories.join(',') === current.categories.join(',') &&
          next.industries.join(',') === current.industries.join(',');
        if (unchanged) return toProvider(current);
        const [row] = await tx
          .update(providers)
          .set({ ...next, revision: current.revision + 1, updatedAt: now })
          .where(eq(providers.code, code))
          .returning();
        if (!row) return undefined;
        await recordRevision(tx, row, changedBy);
        if (next.industries.join(',') !== current.industries.join(',')) await announceIndustries(tx, row);
        return toProvider(row);
      });
    },

    async revisions(code: string) {
      return db
        .select()
        .from(providerRevisions)
        .where(eq(providerRevisions.code, code))
        .orderBy(asc(providerRevisions.revision));
    },
  };
}

export type ProviderRepository = ReturnType<typeof createProviderRepository>;
