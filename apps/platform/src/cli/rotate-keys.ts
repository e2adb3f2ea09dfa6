import { CommandError, runCommand } from '../cli-support/command.ts';
import type { RotationReport } from '../keys/rotation.ts';

const usage = `npm run rotate-keys -- [--status] [--keep-old] [--batch N] [--max-batches N] [--json]

Rotates the data-encryption key of identity numbers, names and receivers' signing secrets
(docs/security.md). With keys in DATA_DIR/keys/platform-keys.json it puts a new key first,
re-encrypts every stored ciphertext of every service under it, and destroys the old key once no
row names it. With ENCRYPTION_KEYS, put the new key first yourself (k2:<base64>,k1:<base64>) and
restart the services; the command then re-encrypts everything under it and tells you when k1 can
be removed. Run it again after a crash or a partial run: it continues where it stopped. Stop the
platform first on the embedded database (the command refuses at once while a server holds
DATA_DIR).
Exit status 0: every ciphertext is under the active key; 1: some are not yet; 2: cannot run.

  --status         count what each key protects, change nothing
  --keep-old       re-encrypt, but keep the old keys (for restoring older backups)
  --batch N        rows per transaction (default 500)
  --max-batches N  stop after N batches; run again to continue
  --json           print the report as JSON
  -h, --help       print this text`;

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CommandError(`--${name} takes a positive whole number`);
  return n;
}

function print(report: RotationReport): void {
  const lines = Object.entries(report.references).map(
    ([keyId, tables]) =>
      `  ${keyId}${keyId === report.target ? ' (active)' : ''}: ${Object.entries(tables)
        .map(([table, n]) => `${table} ${n}`)
        .join(', ')}`,
  );
  process.stdout.write(`rows naming each key:\n${lines.join('\n') || '  (none)'}\n`);
  if (report.needsNewKey)
    process.stdout.write(
      'ENCRYPTION_KEYS holds one key: put a new one first (knew:$(openssl rand -base64 32),…), restart the services, run again\n',
    );
  if (report.retirable.length > 0)
    process.stdout.write(
      `no row names ${report.retirable.join(', ')} any more: remove ${report.retirable.length === 1 ? 'it' : 'them'} from ENCRYPTION_KEYS\n`,
    );
  process.stdout.write(
    report.complete
      ? `every ciphertext is under ${report.target}\n`
      : `not finished: some rows still name an old key; run again${Object.values(report.failed).some((n) => n > 0) ? ' (and look at the rows that did not open: npm run verify)' : ''}\n`,
  );
}

await runCommand({
  name: 'rotate-keys',
  usage,
  options: {
    status: { type: 'boolean', default: false },
    'keep-old': { type: 'boolean', default: false },
    batch: { type: 'string' },
    'max-batches': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run(values) {
    const batchSize = positive(values.batch, 'batch');
    const maxBatches = positive(values['max-batches'], 'max-batches');
    const { baseEnvironmentSchema, parseEnvironment } = await import('@credit/config');
    const { migrate, openDatabase } = await import('@credit/db');
    const { databaseTargetOf, defaultMigrationsDir, migrationFoldersOf } = await import('@credit/host');
    const { keySourceOf } = await import('../keys/key-source.ts');
    const { rotateKeys } = await import('../keys/rotation.ts');
    const { platformServices } = await import('../services.ts');
    const env = parseEnvironment(baseEnvironmentSchema);
    const source = await keySourceOf(env);
    const database = await openDatabase(databaseTargetOf(env));
    try {
      // The rewrap exemption of the append-only tables is a migration: the schema must be current.
      await migrate(database, defaultMigrationsDir, migrationFoldersOf(platformServices));
      const report = await rotateKeys({
        database,
        source,
        stores: platformServices.flatMap((s) => s.cipherStores ?? []),
        retire: !values['keep-old'],
        statusOnly: values.status,
        ...(batchSize ? { batchSize } : {}),
        ...(maxBatches ? { maxBatches } : {}),
        progress: values.json ? undefined : (line) => process.stdout.write(`${line}\n`),
      });
      if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else print(report);
      return report.complete ? 0 : 1;
    } finally {
      await database.close();
    }
  },
});
