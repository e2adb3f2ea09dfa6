import type { Database, Executor } from '@credit/db';
import { calendarYears } from '../db/schema.ts';

export type CalendarYearRow = typeof calendarYears.$inferSelect;

/** The official calendar years the credit office loaded (through any instance). */
export function createCalendarRepository(db: Database) {
  return {
    async loadedYears(executor: Executor = db): Promise<CalendarYearRow[]> {
      return executor.select().from(calendarYears);
    },

    async store(year: CalendarYearRow, executor: Executor = db): Promise<void> {
      const { year: _key, ...content } = year;
      await executor
        .insert(calendarYears)
        .values(year)
        .onConflictDoUpdate({ target: calendarYears.year, set: content });
    },
  };
}

export type CalendarRepository = ReturnType<typeof createCalendarRepository>;
