import {
  createTestPlatform,
  push,
  record,
  registerIntermediary,
  registerProvider,
  registerSupervisor,
  type TestPlatform,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * An intermediary is found by the name its supervising department registered it under, before
 * any record carries it, in the public search and in the intermediaries' column; erasing the
 * records that carried a name takes out only what no registration or standing record still carries.
 */
let platform: TestPlatform;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  platform.setNow(new Date('2026-02-02T02:00:00Z'));
});
afterAll(async () => platform?.close());

async function searched(q: string): Promise<string[]> {
  const response = await platform.request({ url: `/v1/public/search?q=${encodeURIComponent(q)}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items.map((i: { id: string }) => i.id);
}

async function inColumn(name: string): Promise<string[]> {
  const response = await platform.request({
    url: `/v1/public/intermediaries?name=${encodeURIComponent(name)}`,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items.map((i: { id: string }) => i.id);
}

describe('intermediaries in the name search', () => {
  it('finds an agency by its registered name from registration on, and keeps it found through erasures', async () => {
    const supervisor = await registerSupervisor(platform, ['design_consulting']);
    const registered = '淄博鼎衡工程造价咨询有限公司';
    const agency = await registerIntermediary(platform, supervisor.token, 'design_consulting', registered);
    const other = await registerIntermediary(
      platform,
      supervisor.token,
      'design_consulting',
      '淄博弘毅建设项目管理有限公司',
    );
    await platform.drainConsumers();

    // No record carries either name yet.
    expect(await searched('鼎衡工程造价咨询')).toContain(agency.uscc);
    expect(await inColumn('鼎衡工程造价')).toEqual([agency.uscc]);
    const found = (
      await platform.request({ url: `/v1/public/search?q=${encodeURIComponent(registered)}` })
    ).json().items[0];
    expect(found).toMatchObject({ id: agency.uscc, name: registered, matchedName: registered });

    // A department's penalties: one under the same name, one under a name the other agency was never registered under.
    const department = await registerProvider(platform, ['administrative_penalty']);
    await push(
      platform,
      department.token,
      record(
        'administrative_penalty',
        { kind: 'legal_person', id: agency.uscc, name: registered },
        {
          occurredAt: '2026-01-10',
        },
      ),
    );
    await push(
      platform,
      department.token,
      record(
        'administrative_penalty',
        { kind: 'legal_person', id: other.uscc, name: '淄博弘毅拍卖行有限公司' },
        { occurredAt: '2026-01-10' },
      ),
    );
    await platform.drainConsumers();
    expect(await inColumn('弘毅建设项目管理')).toEqual([other.uscc]);

    // Their retention over, both penalties are erased.
    platform.setNow(new Date('2033-03-01T02:00:00Z'));
    const admin = await platform.token('admin', { org: 'credit-office' });
    const run = await platform.request({ method: 'POST', url: '/v1/erasure-runs', token: admin });
    expect(run.json()).toMatchObject({ retentionExpired: 2 });
    await platform.drainConsumers();

    const afterErasure = async () => {
      // The registration still carries the agency's name: the erased copy of it takes nothing out.
      expect(await searched('鼎衡工程造价咨询')).toContain(agency.uscc);
      expect(await inColumn('鼎衡工程造价')).toEqual([agency.uscc]);
      // The other agency keeps its registered name; the name only the erased penalty carried is gone.
      expect(await inColumn('弘毅建设项目管理')).toEqual([other.uscc]);
      expect(await searched('淄博弘毅拍卖行有限公司')).not.toContain(other.uscc);
      const left = await platform.database.query<{ name: string }>(
        'SELECT name FROM query.organisation_names WHERE uscc = $1 ORDER BY name',
        [other.uscc],
      );
      expect(left.map((r) => r.name)).toEqual(['淄博弘毅建设项目管理有限公司']);
    };
    await afterErasure();

    // A projection replayed from the start of the feed comes back to the same index.
    await platform.database.query(
      `DELETE FROM query.event_cursors WHERE consumer = 'query-organisation-names'`,
    );
    await platform.drainConsumers();
    await afterErasure();
  });
});
