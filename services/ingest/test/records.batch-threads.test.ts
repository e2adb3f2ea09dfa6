import {
  createTestPlatform,
  pushBatch,
  recordBody,
  registerProvider,
  type TestPlatform,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ingestDefinition } from '../src/service.ts';

// Worker threads open their own connections, which embedded PGlite (one thread's memory) cannot give.
const onPostgres = inject('testDatabase').kind === 'postgres';
if (!onPostgres)
  console.log('batch threads: skipped, the suite runs on embedded PGlite (set TEST_DATABASE_URL)');

describe.skipIf(!onPostgres)('batch chunks on worker threads', () => {
  let platform: TestPlatform;
  let provider: { code: string; token: string };

  beforeAll(async () => {
    // Small chunks and three threads: a batch of 65 is seven chunks, up to three written at once.
    platform = await createTestPlatform([
      { ...ingestDefinition, options: { batchChunkSize: 10, intakeThreads: 3 } },
    ]);
    provider = await registerProvider(platform, ['org_licence', 'administrative_penalty']);
  });
  afterAll(async () => platform?.close());

  const batch = (items: unknown[]) => pushBatch(platform, provider.token, items, 'ndjson');

  it('answers every item in its place whichever chunk commits first, writing through the threads’ own connections', async () => {
    const items = Array.from({ length: 65 }, (_, i) =>
      i % 13 === 5
        ? recordBody('exam_cheating')
        : recordBody(i % 2 ? 'org_licence' : 'administrative_penalty'),
    );
    const response = await batch(items);
    expect(response.statusCode).toBe(200);
    const result = response.json();
    expect(result.items.map((item: { index: number }) => item.index)).toEqual(items.map((_, i) => i));
    expect(result.items.map((item: { sourceId: string }) => item.sourceId)).toEqual(
      items.map((item) => item.sourceId),
    );
    const refused = items.flatMap((_, i) => (i % 13 === 5 ? [i] : []));
    for (const [i, item] of result.items.entries())
      expect(item.status, `item ${i}`).toBe(refused.includes(i) ? 403 : 201);
    expect(result).toMatchObject({ received: 65, created: 65 - refused.length, refused: refused.length });

    // Each answer names the record stored for that very item.
    const stored = await platform.database.query<{ record_id: string; source_id: string }>(
      'SELECT record_id, source_id FROM ingest.records WHERE provider_code = $1',
      [provider.code],
    );
    const bySource = new Map(stored.map((row) => [row.source_id, row.record_id]));
    for (const item of result.items.filter((i: { status: number }) => i.status === 201))
      expect(item.id).toBe(bySource.get(item.sourceId));

    // The writes came from the intake threads' connections, not the request's pool.
    const threadConnections = await platform.database.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'credit-platform/intake' AND datname = current_database()",
    );
    expect(Number(threadConnections[0]?.n)).toBeGreaterThanOrEqual(1);
  });

  it('converges when resubmitted after a restart, which closed the threads and started new ones', async () => {
    const items = Array.from({ length: 25 }, () => recordBody('org_licence'));
    const first = await batch(items);
    expect(first.json()).toMatchObject({ created: 25 });

    // The application closes its threads with it (or the restart would hang on them) and starts new ones.
    await platform.restart();
    const again = await batch(items);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ received: 25, created: 0, unchanged: 25 });
    expect(again.json().items.map((i: { id: string }) => i.id)).toEqual(
      first.json().items.map((i: { id: string }) => i.id),
    );
  });

  it('counts what the threads answered into the records metric', async () => {
    const before = await platform.request({ method: 'GET', url: '/metrics' });
    const createdBefore = createdCount(before.body);
    const response = await batch(Array.from({ length: 12 }, () => recordBody('administrative_penalty')));
    expect(response.json()).toMatchObject({ created: 12 });
    const after = await platform.request({ method: 'GET', url: '/metrics' });
    expect(createdCount(after.body) - createdBefore).toBe(12);
  });
});

function createdCount(metrics: string): number {
  const line = metrics.split('\n').find((l) => /^ingest_records_total\{[^}]*outcome="created"/.test(l));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
