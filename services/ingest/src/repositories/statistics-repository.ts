import type { Database } from '@credit/db';
import { and, count, eq, gte, lt, ne, sql } from 'drizzle-orm';
import { intakeOutcomes, records, recordVersions } from '../db/schema.ts';

export interface ProviderStatistics {
  provider: string;
  from: string;
  to: string;
  received: number;
  accepted: number;
  unchanged: number;
  refused: number;
  refusalRate: number;
  refusalsByCode: Record<string, number>;
  byCategory: Record<string, number>;
  delay: { medianHours: number | null; p90Hours: number | null; maxHours: number | null };
  subjectNameMismatches: number;
}

/**
 * Per-provider intake figures over a window: volume, refusals by code, and timeliness (the delay
 * between a fact's `occurredAt` and its receipt). Accepted changes are counted from the record
 * versions themselves; only refusals and identical resubmissions are logged separately.
 */
export function createStatisticsRepository(db: Database) {
  return {
    async forProvider(provider: string, from: Date, to: Date): Promise<ProviderStatistics> {
      const pushed = and(
        eq(recordVersions.providerCode, provider),
        gte(recordVersions.receivedAt, from),
        lt(recordVersions.receivedAt, to),
        eq(records.origin, 'pushed'),
      );
      const accepted = await db
        .select({ category: recordVersions.category, n: count() })
        .from(recordVersions)
        .innerJoin(records, eq(records.recordId, recordVersions.recordId))
        .where(pushed)
        .groupBy(recordVersions.category);
      const hours = sql<number>`extract(epoch from (${recordVersions.receivedAt} - ${recordVersions.occurredAt})) / 3600.0`;
      const [delay] = await db
        .select({
          median: sql<string | null>`percentile_cont(0.5) within group (order by ${hours})`,
          p90: sql<string | null>`percentile_cont(0.9) within group (order by ${hours})`,
          max: sql<string | null>`max(${hours})`,
        })
        .from(recordVersions)
        .innerJoin(records, eq(records.recordId, recordVersions.recordId))
        .where(and(pushed, eq(recordVersions.operation, 'create')));
      // Versions naming their subject otherwise than the registering authority's record in force
      // when they arrived: the department's name stays with its record, and is a quality defect.
      const [mismatches] = await db
        .select({ n: count() })
        .from(recordVersions)
        .innerJoin(records, eq(records.recordId, recordVersions.recordId))
        .where(
          and(
            pushed,
            ne(recordVersions.operation, 'withdraw'),
            eq(recordVersions.namesSubject, false),
            sql`${recordVersions.subjectNameMac} <> (
              SELECT registered.subject_name_mac FROM ingest.record_versions registered
              WHERE registered.subject_key = ${recordVersions.subjectKey}
                AND registered.names_subject AND registered.status = 'active'
                AND registered.received_at <= ${recordVersions.receivedAt}
              ORDER BY registered.received_at DESC, registered.version DESC
              LIMIT 1)`,
          ),
        );
      const outcomes = await db
        .select({ outcome: intakeOutcomes.outcome, code: intakeOutcomes.code, n: count() })
        .from(intakeOutcomes)
        .where(
          and(
            eq(intakeOutcomes.providerCode, provider),
            gte(intakeOutcomes.receivedAt, from),
            lt(intakeOutcomes.receivedAt, to),
          ),
        )
        .groupBy(intakeOutcomes.outcome, intakeOutcomes.code);

      const byCategory: Record<string, number> = {};
      let acceptedTotal = 0;
      for (const row of accepted) {
        byCategory[row.category] = Number(row.n);
        acceptedTotal += Number(row.n);
      }
      const refusalsByCode: Record<string, number> = {};
      let refused = 0;
      let unchanged = 0;
      for (const row of outcomes) {
        if (row.outcome === 'unchanged') unchanged += Number(row.n);
        else {
          refused += Number(row.n);
          const code = row.code ?? 'unknown';
          refusalsByCode[code] = (refusalsByCode[code] ?? 0) + Number(row.n);
        }
      }
      const received = acceptedTotal + unchanged + refused;
      const round = (value: string | null | undefined) =>
        value === null || value === undefined ? null : Math.round(Number(value) * 100) / 100;
      return {
        provider,
        from: from.toISOString(),
        to: to.toISOString(),
        received,
        accepted: acceptedTotal,
        unchanged,
        refused,
        refusalRate: received === 0 ? 0 : Math.round((refused / received) * 10_000) / 10_000,
        refusalsByCode,
        byCategory,
        delay: {
          medianHours: round(delay?.median),
          p90Hours: round(delay?.p90),
          maxHours: round(delay?.max),
        },
        subjectNameMismatches: Number(mismatches?.n ?? 0),
      };
    },
  };
}

export type StatisticsRepository = ReturnType<typeof createStatisticsRepository>;
