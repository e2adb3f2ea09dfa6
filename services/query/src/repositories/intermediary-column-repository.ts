import type { Executor } from '@credit/db';
import type { IntermediaryIndustry } from '@credit/schema';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { intermediaries, intermediaryDeclarations, records, subjects } from '../db/schema.ts';

/** Reads of the intermediaries' column (专栏公示 / 专版曝光), each on the connection it is given. */
export const intermediaryColumn = {
  /** Agencies in key order, of one industry, among `keys` when a name search chose them. */
  async page(
    db: Executor,
    filter: {
      industry?: IntermediaryIndustry | undefined;
      keys?: Buffer[] | undefined;
      seriousOnly?: boolean;
    },
    after: Buffer | undefined,
    limit: number,
  ) {
    return db
      .select({
        subjectKey: intermediaries.subjectKey,
        industry: intermediaries.industry,
        department: intermediaries.department,
        subject: subjects,
      })
      .from(intermediaries)
      .innerJoin(subjects, eq(subjects.subjectKey, intermediaries.subjectKey))
      .where(
        and(
          filter.industry ? eq(intermediaries.industry, filter.industry) : undefined,
          filter.keys ? inArray(intermediaries.subjectKey, filter.keys) : undefined,
          after ? gt(intermediaries.subjectKey, after) : undefined,
          // The exposure list: agencies with a standing record of serious dishonesty (display is checked after).
          filter.seriousOnly
            ? sql`EXISTS (SELECT 1 FROM ${records} r WHERE r.subject_key = ${intermediaries.subjectKey}
                AND r.severity = 'serious' AND r.status = 'active' AND r.publicity = 'public')`
            : undefined,
        ),
      )
      .orderBy(asc(intermediaries.subjectKey))
      .limit(limit);
  },

  async find(db: Executor, key: Buffer) {
    const [row] = await this.page(db, { keys: [key] }, undefined, 1);
    return row;
  },

  async declarationsOf(db: Executor, keys: Buffer[]) {
    if (keys.length === 0) return [];
    return db
      .select()
      .from(intermediaryDeclarations)
      .where(inArray(intermediaryDeclarations.subjectKey, keys))
      .orderBy(desc(intermediaryDeclarations.acceptedAt), desc(intermediaryDeclarations.declarationId));
  },
};
