import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runtime } from '@credit/host';
import type { FastifyInstance } from 'fastify';
import type { DemoTimeMachine } from './history.ts';
import { curlLines, seedDemo } from './seed.ts';

/** Where the demo writes its ready-made calls (tokens included) for people and tests. */
export function examplesPath(dataDir: string): string {
  return join(dataDir, 'demo', 'examples.json');
}

async function isEmpty(runtime: Runtime): Promise<boolean> {
  const rows = await runtime.database.query<{ n: string }>('SELECT count(*) AS n FROM ingest.providers');
  return Number(rows[0]?.n ?? 0) === 0;
}

/**
 * Loads the demo and writes its example calls. `force` reloads into a database that already has
 * data (`npm run seed`); without it, only an empty embedded database is seeded, and a database
 * at DATABASE_URL never is.
 */
export async function loadDemo(
  app: FastifyInstance,
  runtime: Runtime,
  /** `time` moves the application's clock while the demo replays its history (a DemoClock in the server). */
  options: { force: boolean; baseUrl: string; time: DemoTimeMachine; subjects?: number },
) {
  if (!runtime.devIssuer) {
    app.log.warn(
      {},
      'demo skipped: tokens for it come from the development issuer, and AUTH_ISSUER is configured',
    );
    return undefined;
  }
  if (!options.force && (runtime.database.kind !== 'pglite' || !(await isEmpty(runtime)))) return undefined;
  app.log.info({}, 'loading demo data (first start with an empty embedded database)');
  const started = Date.now();
  const summary = await seedDemo(app, runtime.devIssuer, options.time, options.subjects ?? 1000);
  const path = examplesPath(runtime.env.DATA_DIR);
  await mkdir(join(runtime.env.DATA_DIR, 'demo'), { recursive: true, mode: 0o700 });
  await writeFile(
    path,
    `${JSON.stringify({ baseUrl: options.baseUrl, examples: summary.examples }, null, 2)}\n`,
    { mode: 0o600 },
  );
  app.log.info(
    {
      subjects: summary.subjects,
      records: summary.records,
      publishedEntries: summary.publishedEntries,
      pendingNotices: summary.pendingNotices,
      seconds: Math.round((Date.now() - started) / 1000),
    },
    'demo loaded',
  );
  process.stdout.write(
    `\nDemo loaded. Try these (tokens valid 30 days; also in ${path}):\n\n${curlLines(options.baseUrl, summary.examples)}\n\n`,
  );
  return summary;
}
