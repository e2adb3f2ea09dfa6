import { ingestDefinition } from '@credit/ingest/service';
import { queryDefinition } from '@credit/query/service';
import { repairDefinition } from '@credit/repair/service';
import { sanctionsDefinition } from '@credit/sanctions/service';
import { exportRenderingStamp, type OpenDataManifest } from '@credit/schema';
import {
  company,
  createTestPlatform,
  person,
  push,
  record,
  registerProvider,
  type TestPlatform,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A public item's open-data lines are rendered when its record or list entry is written, and a
 * cut only joins them to the subject's cells (docs/open-data.md). A body of an older rendering,
 * or none (a row written before bodies were kept), must not reach a file: the cut renders it
 * itself, byte for byte what the write would have, and stores it for the next cut.
 */
let platform: TestPlatform;
let admin: string;
let provider: { code: string; token: string };

async function cut(): Promise<OpenDataManifest> {
  await platform.drainConsumers();
  const response = await platform.request({ method: 'POST', url: '/v1/open-data/cuts', token: admin });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().manifest;
}

type Body = {
  item: string;
  csv: string | null;
  json: string | null;
  digest: string | null;
  stamp: string | null;
};

async function bodies(): Promise<Body[]> {
  return platform.database.query<Body>(
    `SELECT record_id AS item, export_csv AS csv, export_json AS json, encode(export_digest, 'hex') AS digest,
            export_stamp AS stamp FROM query.records
     UNION ALL
     SELECT entry_id, export_csv, export_json, encode(export_digest, 'hex'), export_stamp FROM query.list_entries
     ORDER BY item`,
  );
}

beforeAll(async () => {
  platform = await createTestPlatform([
    ingestDefinition,
    { ...queryDefinition, options: { openDataEveryMs: 0, openData: { batchSize: 2, chunkBytes: 512 } } },
    { ...sanctionsDefinition, options: { dailyCheckMs: 0 } },
    { ...repairDefinition, options: { expiryEveryMs: 0, calendarWatchMs: 0 } },
  ]);
  platform.setNow(new Date('2026-05-11T02:00:00Z'));
  admin = await platform.token('admin', { org: 'credit-office' });
  provider = await registerProvider(platform, [
    'administrative_penalty',
    'org_licence',
    'credit_commitment',
    'dishonest_judgement_debtor',
  ]);
  const rule = await platform.request({
    method: 'POST',
    url: '/v1/rules',
    token: admin,
    body: {
      definition: {
        code: 'open-data-bodies-serious',
        name: '严重违法失信',
        kind: 'black',
        domain: 'general',
        subjectKinds: ['legal_person'],
        identifyingDepartment: provider.code,
        condition: {
          type: 'records',
          match: { entries: ['administrative_penalty'], severities: ['serious'] },
          minCount: 1,
        },
        objectionWindowWorkingDays: 1,
      },
    },
  });
  expect(rule.statusCode, rule.body).toBe(201);
});
afterAll(async () => platform?.close());

describe('open-data bodies', () => {
  it('are rendered when a record is written, and a stale or missing one is rendered by the cut and stored again', async () => {
    const org = company('淄博丁纺织有限公司');
    const penalty = record('administrative_penalty', org, { occurredAt: '2026-01-10' });
    await push(platform, provider.token, { ...penalty, data: { ...penalty.data, severity: 'serious' } });
    await push(platform, provider.token, record('org_licence', org, { occurredAt: '2026-04-01' }));
    // Its display ended before the cuts: it keeps its body, and no cut reads it.
    await push(platform, provider.token, record('credit_commitment', org, { occurredAt: '2026-04-02' }));
    // A person's record never reaches open data: it carries no body.
    const someone = person('张三丰');
    await push(
      platform,
      provider.token,
      record('dishonest_judgement_debtor', someone, { occurredAt: '2026-03-01' }),
    );
    await platform.drainConsumers();
    // The serious penalty puts the company on the black list, once a department decides after the objection window.
    platform.setNow(new Date('2026-05-13T02:00:00Z'));
    const [entry] = (await platform.request({ url: '/v1/list-entries?status=noticed', token: admin }))
      .json()
      .items.filter((e: { subject: { id: string } }) => e.subject.id === org.id);
    const decided = await platform.request({
      method: 'POST',
      url: `/v1/list-entries/${entry.id}/decision`,
      token: await platform.token('government', { org: provider.code }),
      body: { decision: 'publish', note: '认定' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    await platform.drainConsumers();

    const written = await bodies();
    expect(written).toHaveLength(5);
    const kept = written.filter((b) => b.stamp !== null);
    expect(kept).toHaveLength(4);
    for (const body of kept) {
      expect(body.stamp).toBe(exportRenderingStamp);
      expect(body.csv).toMatch(/\r\n$/);
      expect(body.json?.startsWith(',')).toBe(true);
      expect(body.digest).toMatch(/^[0-9a-f]{32}$/);
    }

    const first = await cut();
    // A rendering changed since these were stored, and one row from before bodies were kept.
    await platform.database.query(
      `UPDATE query.records SET export_stamp = 'older', export_csv = ',stale\r\n', export_json = ',"stale":""}'
       WHERE category = 'administrative_penalty'`,
    );
    await platform.database.query(
      `UPDATE query.records SET export_stamp = NULL, export_csv = NULL, export_json = NULL, export_digest = NULL
       WHERE category = 'org_licence'`,
    );
    await platform.database.query(`UPDATE query.list_entries SET export_stamp = 'older'`);
    expect((await bodies()).filter((b) => b.stamp === exportRenderingStamp)).toHaveLength(1);

    platform.setNow(new Date('2026-05-14T02:00:00Z'));
    const second = await cut();
    // The same items, the same bytes: nothing changed, so the increment is empty.
    const full = (m: OpenDataManifest) =>
      m.files.filter((f) => f.kind === 'full').map((f) => [f.name.slice(11), f.sha256, f.records]);
    expect(full(second)).toEqual(full(first));
    expect(second.files.filter((f) => f.kind === 'increment').every((f) => f.records === 0)).toBe(true);
    // And stored again as the write would have stored them.
    expect(await bodies()).toEqual(written);
  });
});
