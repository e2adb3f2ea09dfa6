import { createTestPlatform, recordBody, registerProvider, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultIngestSettings } from '../src/app.ts';
import { ingestDefinition } from '../src/service.ts';

let platform: TestPlatform;
let provider: { code: string; token: string };

beforeAll(async () => {
  // Small chunks and a small item limit make chunk boundaries and the limit cheap to reach.
  platform = await createTestPlatform([
    { ...ingestDefinition, options: { batchChunkSize: 10, maxBatchItems: 40 } },
  ]);
  provider = await registerProvider(platform, ['org_licence', 'administrative_penalty']);
});
afterAll(async () => platform?.close());

const batch = (rawBody: string, contentType = 'application/json') =>
  platform.request({ method: 'POST', url: '/v1/records/batch', token: provider.token, rawBody, contentType });

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const rows = await platform.database.query<{ n: string }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

describe('batch push', () => {
  it('defaults to 10,000 items a batch', () => {
    expect(defaultIngestSettings.maxBatchItems).toBe(10_000);
  });

  it('answers each item of a JSON array on its own and commits the accepted ones', async () => {
    const good = recordBody('org_licence');
    const unknownField = recordBody('org_licence', {
      data: { ...recordBody('org_licence').data, colour: 'red' },
    });
    const notPermitted = recordBody('exam_cheating');
    const response = await batch(
      JSON.stringify([
        good,
        unknownField,
        notPermitted,
        good,
        { ...good, data: { ...good.data, licenceName: '改' } },
      ]),
    );
    expect(response.statusCode).toBe(200);
    const result = response.json();
    expect(result).toMatchObject({ received: 5, created: 1, unchanged: 1, refused: 3 });
    expect(result.items.map((i: { status: number }) => i.status)).toEqual([201, 422, 403, 200, 409]);
    expect(result.items[1].problem).toMatchObject({
      code: 'unknown_field',
      errors: [{ path: 'data.colour' }],
    });
    expect(result.items[3].id).toBe(result.items[0].id);
    expect(result.items[4]).toMatchObject({
      problem: { code: 'source_id_conflict' },
      id: result.items[0].id,
    });
  });

  it('reads NDJSON line by line, refusing a bad line on its own', async () => {
    const lines = [
      JSON.stringify(recordBody('org_licence')),
      '{"not json',
      '',
      JSON.stringify(recordBody('administrative_penalty')),
    ];
    const response = await batch(lines.join('\n'), 'application/x-ndjson');
    const result = response.json();
    expect(result.items.map((i: { index: number; status: number }) => [i.index, i.status])).toEqual([
      [0, 201],
      [1, 400],
      [2, 201],
    ]);
    expect(result.items[1].problem.code).toBe('malformed_json');
  });

  it('accepts an empty batch and refuses a body that is not an array', async () => {
    expect((await batch('[]')).json()).toMatchObject({ received: 0, items: [] });
    expect((await batch('{"sourceId":"x"}')).json()).toMatchObject({ status: 400, code: 'malformed_json' });
  });

  it('answers 413 past the item limit, listing the items it did commit', async () => {
    const items = Array.from({ length: 45 }, () => recordBody('org_licence'));
    const response = await batch(JSON.stringify(items));
    expect(response.statusCode).toBe(413);
    const problem = response.json();
    expect(problem.code).toBe('batch_too_large');
    expect(problem.items).toHaveLength(40);
    expect(problem.created).toBe(40);
    const committed = await count('SELECT count(*) AS n FROM ingest.records WHERE source_id = ANY($1)', [
      items.map((i) => i.sourceId),
    ]);
    expect(committed).toBe(40);
  });

  it('stops at a malformed array with 400, naming what was committed before', async () => {
    const items = Array.from({ length: 12 }, () => JSON.stringify(recordBody('org_licence')));
    const response = await batch(`[${items.join(',')}, {"unterminated": [}`);
    expect(response.statusCode).toBe(400);
    const problem = response.json();
    expect(problem.code).toBe('malformed_json');
    expect(problem.items.filter((i: { status: number }) => i.status === 201)).toHaveLength(12);
  });

  it('leaves nothing half-written when a chunk fails, and converges when the batch is resubmitted', async () => {
    const items = Array.from({ length: 35 }, () => recordBody('administrative_penalty'));
    const crashAt = items[25]?.sourceId as string;
    // A fault injected into the database: the third chunk's transaction dies mid-way.
    await platform.database.execScript(`
      CREATE FUNCTION ingest.test_crash() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.source_id = '${crashAt}' THEN RAISE EXCEPTION 'simulated crash'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER test_crash BEFORE INSERT ON ingest.records FOR EACH ROW EXECUTE FUNCTION ingest.test_crash();`);
    const ids = items.map((i) => i.sourceId);
    const crashed = await batch(JSON.stringify(items));
    expect(crashed.statusCode).toBe(500);
    expect(crashed.json().code).toBe('internal_error');

    // Chunks are whole or absent: the two before the failing one committed, the failing one left
    // nothing, and the last one, which may have been in flight beside it on another thread, either.
    const stored = async (from: number, to: number) =>
      count('SELECT count(*) AS n FROM ingest.records WHERE source_id = ANY($1)', [ids.slice(from, to)]);
    expect(await stored(0, 20)).toBe(20);
    expect(await stored(20, 30)).toBe(0);
    const lastChunk = await stored(30, 35);
    expect([0, 5]).toContain(lastChunk);
    expect(
      await count(
        `SELECT count(*) AS n FROM ingest.records r
         WHERE r.source_id = ANY($1) AND NOT EXISTS (SELECT 1 FROM ingest.record_versions v WHERE v.record_id = r.record_id)`,
        [ids],
      ),
    ).toBe(0);

    await platform.database.execScript(
      'DROP TRIGGER test_crash ON ingest.records; DROP FUNCTION ingest.test_crash();',
    );
    const resubmitted = await batch(JSON.stringify(items));
    expect(resubmitted.statusCode).toBe(200);
    const statuses = resubmitted.json().items.map((i: { status: number }) => i.status);
    expect(statuses.slice(0, 20).every((s: number) => s === 200)).toBe(true);
    expect(statuses.slice(20, 30).every((s: number) => s === 201)).toBe(true);
    expect(statuses.slice(30).every((s: number) => s === (lastChunk === 5 ? 200 : 201))).toBe(true);

    expect(await count('SELECT count(*) AS n FROM ingest.records WHERE source_id = ANY($1)', [ids])).toBe(35);
    expect(
      await count(
        `SELECT count(*) AS n FROM ingest.record_versions v JOIN ingest.records r USING (record_id) WHERE r.source_id = ANY($1)`,
        [ids],
      ),
    ).toBe(35);
    expect(
      await count(
        `SELECT count(*) AS n FROM ingest.events e JOIN ingest.records r ON r.record_id = e.aggregate_id WHERE r.source_id = ANY($1)`,
        [ids],
      ),
    ).toBe(35);
  });
});
