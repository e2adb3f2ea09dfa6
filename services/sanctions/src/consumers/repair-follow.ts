import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import { repairEventSchemas } from '@credit/schema';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { calendarYears, listEntries, records } from '../db/schema.ts';
import { EntryWriter, exitEntry, openStatuses, type ProcedureContext } from '../domain/entry-writer.ts';
import { evaluateSubjects, resumeAwaitingEntries } from '../domain/rule-application.ts';

export const repairFollowName = 'sanctions-repair-follow';
export const followedRepairEvents = [
  'record.repaired',
  'entry.repaired',
  'objection.upheld',
  'record.display_ended',
  'calendar.year.loaded',
];

/**
 * What the repair service's decisions change here. A repaired record is no longer used by list
 * rules and the entries it founded exit as repaired; a repaired entry exits; an upheld objection
 * or the end of a record's display period re-runs the rules for that subject; a calendar year the
 * credit office loaded becomes usable for objection windows, and the entries that awaited it are
 * noticed.
 */
export function repairFollow(context: ProcedureContext) {
  return async (tx: Executor, events: FeedEvent[]): Promise<void> => {
    const now = context.clock();
    const writer = new EntryWriter(tx, context, now);
    const reevaluate = new Map<string, Buffer>();
    let calendarLoaded = false;
    for (const event of events) {
      switch (event.type) {
        case 'record.repaired': {
          const { recordId, repairedAt } = repairEventSchemas['record.repaired'].parse(event.payload);
          await tx
            .update(records)
            .set({ repairedAt: new Date(repairedAt) })
            .where(and(eq(records.subjectKey, event.subjectKey), eq(records.recordId, recordId)));
          const founded = await tx
            .select()
            .from(listEntries)
            .where(
              and(
                eq(listEntries.subjectKey, event.subjectKey),
                inArray(listEntries.status, [...openStatuses]),
                sql`${listEntries.basis} @> ${JSON.stringify([{ recordId }])}::jsonb`,
              ),
            );
          for (const entry of founded) await exitEntry(writer, tx, entry, 'repaired', 'repair', now);
          reevaluate.set(event.subjectKey.toString('hex'), event.subjectKey);
          break;
        }
        case 'entry.repaired': {
          const { entryId } = repairEventSchemas['entry.repaired'].parse(event.payload);
          const [entry] = await tx
            .select()
            .from(listEntries)
            .where(and(eq(listEntries.subjectKey, event.subjectKey), eq(listEntries.entryId, entryId)));
          if (entry) await exitEntry(writer, tx, entry, 'repaired', 'repair', now);
          break;
        }
        case 'objection.upheld': {
          const { targetType, targetId } = repairEventSchemas['objection.upheld'].parse(event.payload);
          if (targetType === 'listEntry') {
            const [entry] = await tx
              .select()
              .from(listEntries)
              .where(and(eq(listEntries.subjectKey, event.subjectKey), eq(listEntries.entryId, targetId)));
            if (entry) await exitEntry(writer, tx, entry, 'objection_upheld', 'repair', now);
          }
          reevaluate.set(event.subjectKey.toString('hex'), event.subjectKey);
          break;
        }
        case 'record.display_ended':
          reevaluate.set(event.subjectKey.toString('hex'), event.subjectKey);
          break;
        case 'calendar.year.loaded': {
          const { year, holidays, workdays } = repairEventSchemas['calendar.year.loaded'].parse(
            event.payload,
          );
          await tx
            .insert(calendarYears)
            .values({ year, holidays, workdays, loadedAt: now })
            .onConflictDoUpdate({ target: calendarYears.year, set: { holidays, workdays, loadedAt: now } });
          context.calendar.load({ year, holidays, workdays });
          calendarLoaded = true;
          break;
        }
      }
    }
    await writer.flush();
    if (calendarLoaded) await resumeAwaitingEntries(tx, context, now);
    if (reevaluate.size > 0) await evaluateSubjects(tx, context, [...reevaluate.values()], now, 'repair');
  };
}
