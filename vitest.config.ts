import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const testFiles = [
  'packages/*/test/**/*.test.ts',
  'services/*/test/**/*.test.ts',
  'apps/*/test/**/*.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['packages/testing/src/global-setup.ts'],
    pool: 'forks',
    // A worker keeps its modules from one test file to the next: every file imports the platform,
    // and loading it again for each file was more than half of CI's time (the import phase: 470
    // of 829 s; 203 against 30 s for the sanctions and repair tests alone). Files rely on no
    // module state: each test makes its own platform, database, clock and data directory.
    isolate: false,
    // Vitest's default is one worker per core less one: a single worker on a two-core CI machine,
    // idle while a test waits on PostgreSQL or a child server. Two overlap those waits.
    maxWorkers: Number(process.env.TEST_WORKERS ?? Math.max(2, availableParallelism() - 1)),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      // The whole suite, on PostgreSQL when TEST_DATABASE_URL or Docker provides one.
      { extends: true, test: { name: 'main', include: testFiles } },
      // The same routes on embedded PGlite, the quick start's database.
      {
        extends: true,
        test: {
          name: 'pglite-smoke',
          include: testFiles.map((f) => f.replace('*.test.ts', '*.smoke.test.ts')),
        },
      },
    ],
  },
});
