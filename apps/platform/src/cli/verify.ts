import type { CheckpointView } from '@credit/schema';
import type { JSONWebKeySet } from 'jose';
import { runCommand } from '../cli-support/command.ts';
import { readJsonSource } from '../cli-support/json-source.ts';

const usage = `npm run verify -- [--checkpoints FILE] [--jwks FILE|URL] [--platform URL] [--json]

Checks the configured database (DATABASE_URL, or the embedded one under DATA_DIR while the
platform is stopped: it refuses at once while a server holds that directory) against
checkpoints published earlier, and reports every row changed or deleted behind the platform's
back, in the record store and log and in the read models callers are served from
(query.records, query.list_entries).
Exit status 0: nothing found; 1: findings; 2: cannot run.

  --checkpoints FILE  checkpoints kept from GET /v1/transparency/checkpoint (a JSON object,
                      an array, or one object per line)
  --jwks FILE|URL     the platform's published keys (/.well-known/jwks.json)
  --platform URL      fetch the newest checkpoint and the keys from a running platform
  --json              print the report as JSON
  -h, --help          print this text
Without --checkpoints or --platform the database's own checkpoints are used, which shows
tampering with the data but not a log rewritten and re-signed with the platform's key.`;

/** A file that is not one JSON document is read as JSON Lines (one checkpoint per line). */
function readJson(source: string): Promise<unknown> {
  return readJsonSource(source, (text) =>
    text
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line)),
  );
}

await runCommand({
  name: 'verify',
  usage,
  options: {
    checkpoints: { type: 'string' },
    jwks: { type: 'string' },
    platform: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run(values) {
    const { baseEnvironmentSchema, parseEnvironment } = await import('@credit/config');
    const { openRuntime } = await import('@credit/host');
    const { createLogger } = await import('@credit/http');
    const { logCheckpoints } = await import('@credit/ingest/verification');
    const { asc } = await import('drizzle-orm');
    const { verifyStore } = await import('../audit/verify-store.ts');

    const env = parseEnvironment(baseEnvironmentSchema);
    const logger = createLogger(env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL);
    const runtime = await openRuntime(env, [], logger);
    try {
      let checkpoints: CheckpointView[] = [];
      let independent = true;
      if (values.checkpoints) {
        const loaded = await readJson(values.checkpoints);
        checkpoints = (Array.isArray(loaded) ? loaded : [loaded]) as CheckpointView[];
      }
      if (values.platform) {
        checkpoints.push(
          (await readJson(new URL('/v1/transparency/checkpoint', values.platform).href)) as CheckpointView,
        );
      }
      if (checkpoints.length === 0) {
        independent = false;
        const stored = await runtime.database.db
          .select()
          .from(logCheckpoints)
          .orderBy(asc(logCheckpoints.treeSize));
        checkpoints = stored.map((row) => ({
          ...(JSON.parse(row.body) as Omit<CheckpointView, 'signature'>),
          signature: row.signature,
        }));
      }
      const jwksSource =
        values.jwks ??
        (values.platform ? new URL('/.well-known/jwks.json', values.platform).href : undefined);
      const jwks = jwksSource
        ? ((await readJson(jwksSource)) as JSONWebKeySet)
        : (runtime.signer.jwks as JSONWebKeySet);

      const report = await verifyStore(runtime.database, runtime.keyring, { checkpoints, jwks });
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ independent, ...report }, null, 2)}\n`);
      } else {
        const c = report.checked;
        process.stdout.write(
          `checked ${c.checkpoints} checkpoint(s)${independent ? '' : ' (the database’s own)'}, ${c.leaves} leaves, ${c.versions} record versions, ${c.tombstones} tombstones, ${c.accesses} accesses, ${c.decisions} decisions, ${c.readModelRecords} served records, ${c.readModelListEntries} served list entries\n`,
        );
        for (const f of report.findings) process.stdout.write(`✗ ${f.kind}  ${f.where}: ${f.detail}\n`);
        process.stdout.write(
          report.findings.length === 0 ? 'no findings\n' : `${report.findings.length} finding(s)\n`,
        );
      }
      return report.findings.length === 0 ? 0 : 1;
    } finally {
      await runtime.close();
    }
  },
});
