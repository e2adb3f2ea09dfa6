import type { Database } from '@credit/db';
import { createEntryRepository } from './entry-repository.ts';
import { createFeedRepository } from './feed-repository.ts';
import { createGradeRepository } from './grade-repository.ts';
import { createIndustryEvaluationRepository } from './industry-evaluation-repository.ts';
import { createJobRepository } from './job-repository.ts';
import { createMeasureRepository } from './measure-repository.ts';
import { createRuleRepository } from './rule-repository.ts';
import { createSubjectRepository } from './subject-repository.ts';

/** Every repository the sanctions domain uses, over one database handle. */
export function createSanctionsStore(db: Database) {
  return {
    rules: createRuleRepository(db),
    entries: createEntryRepository(db),
    subjects: createSubjectRepository(db),
    grades: createGradeRepository(db),
    industryEvaluations: createIndustryEvaluationRepository(db),
    measures: createMeasureRepository(db),
    feed: createFeedRepository(db),
    jobs: createJobRepository(db),
  };
}

export type SanctionsStore = ReturnType<typeof createSanctionsStore>;
