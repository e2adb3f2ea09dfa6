import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import { providerIndustriesSchema, providerIndustriesType } from '@credit/schema';
import { eq } from 'drizzle-orm';
import { industrySupervisors } from '../db/schema.ts';

/**
 * The registry facts the sanctions service needs of intermediaries, from the ingest feed: which
 * department supervises which industry (only they evaluate its agencies).
 */
export async function applyIntermediaryEvents(tx: Executor, events: FeedEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type === providerIndustriesType) {
      const { provider, industries, at } = providerIndustriesSchema.parse(event.payload);
      await tx.delete(industrySupervisors).where(eq(industrySupervisors.department, provider));
      if (industries.length > 0)
        await tx
          .insert(industrySupervisors)
          .values(
            industries.map((industry) => ({ department: provider, industry, updatedAt: new Date(at) })),
          );
    }
  }
}
