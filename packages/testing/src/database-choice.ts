import { existsSync } from 'node:fs';

/** Where the test suite's databases come from, decided once per run by the global setup. */
export type TestDatabaseSource =
  | {
      kind: 'postgres';
      adminUrl: string;
      templateDatabase: string;
      runId: string;
      origin: 'TEST_DATABASE_URL' | 'testcontainers';
    }
  | { kind: 'pglite' };

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabase: TestDatabaseSource;
  }
}

/** Whether a Docker engine is likely to answer; testcontainers would otherwise wait and fail. */
export function dockerLikelyAvailable(): boolean {
  if (process.env.DOCKER_HOST) return true;
  return ['/var/run/docker.sock', `${process.env.HOME ?? ''}/.docker/run/docker.sock`].some((path) =>
    existsSync(path),
  );
}

/** Replaces the database name of a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
