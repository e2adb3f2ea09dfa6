import type { Database, Executor } from '@credit/db';
import { type RuleDefinition, ruleDefinitionSchema } from '@credit/schema';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { evaluatedRules, rules } from '../db/schema.ts';

export type RuleRow = typeof rules.$inferSelect;

export interface ActiveRule {
  code: string;
  version: number;
  definition: RuleDefinition;
}

/**
 * The list and grade rules, kept as data (sanctions.rules, one row per version): the credit
 * office writes them through /v1/rules, and the domain reads them here.
 */
export function createRuleRepository(db: Database) {
  return {
    /** The newest active version of every rule. */
    async active(executor: Executor = db): Promise<ActiveRule[]> {
      const rows = await executor
        .select()
        .from(rules)
        .where(eq(rules.status, 'active'))
        .orderBy(rules.code, desc(rules.version));
      const latest = new Map<string, ActiveRule>();
      for (const row of rows) {
        if (latest.has(row.code)) continue;
        latest.set(row.code, {
          code: row.code,
          version: row.version,
          definition: ruleDefinitionSchema.parse(row.definition),
        });
      }
      return [...latest.values()];
    },

    /**
     * `limit` active rule versions after the key `after` (code, then version: the primary key,
     * so the page stays exact even if two versions of a rule were ever active together).
     */
    async pageActive(
      after: readonly [code: string, version: number] | undefined,
      limit: number,
    ): Promise<RuleRow[]> {
      return db
        .select()
        .from(rules)
        .where(
          and(
            eq(rules.status, 'active'),
            after ? sql`(${rules.code}, ${rules.version}) > (${after[0]}, ${after[1]})` : undefined,
          ),
        )
        .orderBy(asc(rules.code), asc(rules.version))
        .limit(limit);
    },

    /** `limit` versions of one rule after version `after`, oldest first, down the primary key. */
    async pageVersions(code: string, after: number | undefined, limit: number): Promise<RuleRow[]> {
      return db
        .select()
        .from(rules)
        .where(and(eq(rules.code, code), after === undefined ? undefined : gt(rules.version, after)))
        .orderBy(asc(rules.version))
        .limit(limit);
    },

    /** The active rule versions the subjects' due instants were worked out under, as `code:version`. */
    async evaluatedUnder(executor: Executor = db): Promise<Set<string>> {
      const rows = await executor.select().from(evaluatedRules);
      return new Set(rows.map((r) => `${r.code}:${r.version}`));
    },

    /** Records that every subject with records was evaluated under these rule versions. */
    async recordEvaluated(active: readonly ActiveRule[], executor: Executor = db): Promise<void> {
      await executor.delete(evaluatedRules);
      if (active.length > 0)
        await executor
          .insert(evaluatedRules)
          .values(active.map((rule) => ({ code: rule.code, version: rule.version })));
    },

    /** One version of a rule, the one an entry was made under. */
    async findVersion(
      code: string,
      version: number,
      executor: Executor = db,
    ): Promise<RuleDefinition | undefined> {
      const [row] = await executor
        .select()
        .from(rules)
        .where(and(eq(rules.code, code), eq(rules.version, version)));
      return row ? ruleDefinitionSchema.parse(row.definition) : undefined;
    },

    /** Every version of some rules, by `code:version`. */
    async versionsOf(codes: string[], executor: Executor = db): Promise<Map<string, RuleDefinition>> {
      const rows = await executor.select().from(rules).where(inArray(rules.code, codes));
      return new Map(rows.map((r) => [`${r.code}:${r.version}`, ruleDefinitionSchema.parse(r.definition)]));
    },
  };
}

export type RuleRepository = ReturnType<typeof createRuleRepository>;
