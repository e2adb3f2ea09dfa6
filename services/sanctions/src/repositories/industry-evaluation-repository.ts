import type { Database, Executor } from '@credit/db';
import type { GradeTier } from '@credit/schema';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import {
  industryEvaluations,
  industryEvaluationVersions,
  industrySupervisors,
  intermediaries,
  practitioners,
  supervisionTiers,
} from '../db/schema.ts';

export type IndustryEvaluationRow = typeof industryEvaluations.$inferSelect;
export type SupervisionTierRow = typeof supervisionTiers.$inferSelect;

/**
 * Industry credit evaluations (信用评价) as supervising departments pushed them, every version
 * kept; which department supervises which industry and which practitioners answer for an agency,
 * as this service projects them from the ingest feed.
 */
export function createIndustryEvaluationRepository(db: Database) {
  return {
    /** The evaluation of that id, held until the caller's transaction ends. */
    async lock(evaluationId: string, executor: Executor = db): Promise<IndustryEvaluationRow | undefined> {
      const [row] = await executor
        .select()
        .from(industryEvaluations)
        .where(eq(industryEvaluations.evaluationId, evaluationId))
        .for('update');
      return row;
    },

    async find(evaluationId: string, executor: Executor = db): Promise<IndustryEvaluationRow | undefined> {
      const [row] = await executor
        .select()
        .from(industryEvaluations)
        .where(eq(industryEvaluations.evaluationId, evaluationId));
      return row;
    },

    /** Inserts a new evaluation unless its id is taken; whether it was inserted. */
    async insert(row: IndustryEvaluationRow, actor: string, executor: Executor = db): Promise<boolean> {
      const inserted = await executor
        .insert(industryEvaluations)
        .values(row)
        .onConflictDoNothing()
        .returning({ id: industryEvaluations.evaluationId });
      if (inserted.length === 0) return false;
      await executor.insert(industryEvaluationVersions).values({
        subjectKey: row.subjectKey,
        evaluationId: row.evaluationId,
        version: row.version,
        grade: row.grade,
        tier: row.tier,
        basis: row.basis,
        reason: null,
        objectionId: null,
        actor,
        at: row.receivedAt,
      });
      return true;
    },

    /** A correction: the next version, kept beside the earlier ones. */
    async correct(
      row: IndustryEvaluationRow,
      change: { grade: string; tier: IndustryEvaluationRow['tier']; basis: string },
      reason: string,
      objectionId: string | null,
      actor: string,
      at: Date,
      executor: Executor = db,
    ): Promise<IndustryEvaluationRow> {
      const next = { ...row, ...change, version: row.version + 1, updatedAt: at };
      await executor
        .update(industryEvaluations)
        .set({ ...change, version: next.version, updatedAt: at })
        .where(
          and(
            eq(industryEvaluations.subjectKey, row.subjectKey),
            eq(industryEvaluations.evaluationId, row.evaluationId),
          ),
        );
      await executor.insert(industryEvaluationVersions).values({
        subjectKey: row.subjectKey,
        evaluationId: row.evaluationId,
        version: next.version,
        ...change,
        reason,
        objectionId,
        actor,
        at,
      });
      return next;
    },

    /**
     * Each subject's newest evaluation per industry (by period end, then arrival), among `keys`
     * or of everyone: whether it still stands is judged at read time.
     */
    async newest(executor: Executor = db, keys?: readonly Buffer[]): Promise<IndustryEvaluationRow[]> {
      if (keys && keys.length === 0) return [];
      return executor
        .selectDistinctOn([industryEvaluations.subjectKey, industryEvaluations.industry])
        .from(industryEvaluations)
        .where(keys ? inArray(industryEvaluations.subjectKey, [...keys]) : undefined)
        .orderBy(
          industryEvaluations.subjectKey,
          industryEvaluations.industry,
          desc(industryEvaluations.periodTo),
          desc(industryEvaluations.receivedAt),
        );
    },

    /**
     * A page of the current evaluations in an industry (each subject's standing one with the latest
     * period), optionally of one tier, in subject key order after `after`.
     */
    async currentInIndustry(
      industry: string,
      tier: GradeTier | undefined,
      now: Date,
      after: Buffer | undefined,
      limit: number,
      executor: Executor = db,
    ): Promise<IndustryEvaluationRow[]> {
      const current = executor
        .selectDistinctOn([industryEvaluations.subjectKey])
        .from(industryEvaluations)
        .where(
          and(
            eq(industryEvaluations.industry, industry),
            gt(industryEvaluations.validUntil, now),
            after ? gt(industryEvaluations.subjectKey, after) : undefined,
          ),
        )
        .orderBy(
          industryEvaluations.subjectKey,
          desc(industryEvaluations.periodTo),
          desc(industryEvaluations.receivedAt),
        )
        .as('current');
      return executor
        .select()
        .from(current)
        .where(tier ? eq(current.tier, tier) : undefined)
        .orderBy(asc(current.subjectKey))
        .limit(limit);
    },

    async tiers(executor: Executor = db): Promise<SupervisionTierRow[]> {
      return executor.select().from(supervisionTiers);
    },

    /** Whether the department supervises the industry (registry data from the ingest feed). */
    async supervises(department: string, industry: string, executor: Executor = db): Promise<boolean> {
      const [row] = await executor
        .select({ one: sql<number>`1` })
        .from(industrySupervisors)
        .where(
          and(eq(industrySupervisors.department, department), eq(industrySupervisors.industry, industry)),
        );
      return row !== undefined;
    },

    /**
     * The industries a subject is registered in, as far as this service has followed the ingest
     * feed: an agency's own, a practitioner's those of the agencies they are registered with.
     */
    async registeredIndustries(subjectKey: Buffer, executor: Executor = db): Promise<string[]> {
      const own = await executor
        .select({ industry: intermediaries.industry })
        .from(intermediaries)
        .where(eq(intermediaries.subjectKey, subjectKey));
      const through = await executor
        .selectDistinct({ industry: intermediaries.industry })
        .from(practitioners)
        .innerJoin(intermediaries, eq(intermediaries.subjectKey, practitioners.subjectKey))
        .where(eq(practitioners.personKey, subjectKey));
      return [...new Set([...own, ...through].map((row) => row.industry))];
    },

    /** Of these subjects, those registered in the industry (agencies, or practitioners of one), by hex key. */
    async registeredIn(
      keys: readonly Buffer[],
      industry: string,
      executor: Executor = db,
    ): Promise<Set<string>> {
      if (keys.length === 0) return new Set();
      const own = await executor
        .select({ key: intermediaries.subjectKey })
        .from(intermediaries)
        .where(and(inArray(intermediaries.subjectKey, [...keys]), eq(intermediaries.industry, industry)));
      const through = await executor
        .selectDistinct({ key: practitioners.personKey })
        .from(practitioners)
        .innerJoin(intermediaries, eq(intermediaries.subjectKey, practitioners.subjectKey))
        .where(and(inArray(practitioners.personKey, [...keys]), eq(intermediaries.industry, industry)));
      return new Set([...own, ...through].map((row) => row.key.toString('hex')));
    },

    /** The persons registered as responsible (相关负责人) for an agency, by hex key. */
    async responsiblePractitioners(agencyKey: Buffer, executor: Executor = db): Promise<string[]> {
      const rows = await executor
        .select({ personKey: practitioners.personKey })
        .from(practitioners)
        .where(and(eq(practitioners.subjectKey, agencyKey), eq(practitioners.responsible, true)));
      return rows.map((r) => r.personKey.toString('hex'));
    },
  };
}

export type IndustryEvaluationRepository = ReturnType<typeof createIndustryEvaluationRepository>;
