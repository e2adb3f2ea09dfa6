import type { Database } from '@credit/db';
import { createCalendarRepository } from './calendar-repository.ts';
import { createDeadlineRepository } from './deadline-repository.ts';
import { createItemRepository } from './item-repository.ts';
import { createJobRepository } from './job-repository.ts';
import { createJournalRepository } from './journal-repository.ts';
import { createObjectionRepository } from './objection-repository.ts';
import { createRepairRepository } from './repair-repository.ts';

/** Every repository of the repair service over one database handle. */
export function createRepairStore(db: Database) {
  return {
    items: createItemRepository(db),
    objections: createObjectionRepository(db),
    repairs: createRepairRepository(db),
    deadlines: createDeadlineRepository(db),
    journal: createJournalRepository(db),
    jobs: createJobRepository(db),
    calendarYears: createCalendarRepository(db),
  };
}

export type RepairStore = ReturnType<typeof createRepairStore>;
