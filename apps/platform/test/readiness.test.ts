import { findEntry } from '@credit/schema';
import { createTestPlatform, eventually, registerProvider, type TestPlatform, uscc } from '@credit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * `/ready` takes an instance out of service: it must say "stuck" only of a consumer that has
 * work it is not doing. Most consumers follow a few event types of a feed; a flood of other
 * events is not their work.
 */
const stuckAfterMs = 1500;
let platform: TestPlatform;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices, {
    env: { CONSUMER_STUCK_AFTER_MS: String(stuckAfterMs) },
  });
});
afterAll(async () => platform?.close());

const measure = {
  name: '在行政监管中列为重点核查对象',
  nameEn: 'Key inspection target',
  listKind: 'black',
  domains: ['general'],
  subjectScope: 'any',
  actions: ['inspection_planning'],
  effect: 'inspect',
  legalBasis: '测试',
  implementingDepartment: '各行政监管部门',
};

interface ReadyBody {
  status: string;
  checks: { consumers: { name: string; lagSeconds: number | null; stuck: boolean }[] };
}

async function ready(): Promise<{ statusCode: number; body: ReadyBody }> {
  const response = await platform.request({ url: '/ready' });
  return { statusCode: response.statusCode, body: response.json() };
}

describe('readiness', () => {
  it('stays ready through a flood of events no consumer but the listing cache applies', async () => {
    const admin = await platform.token('admin', { org: 'credit-office' });
    // Sanctions events of a type that the query, repair and webhook consumers of that feed skip.
    for (let i = 0; i < 30; i++) {
      const put = await platform.request({
        method: 'PUT',
        url: '/v1/measures/key_inspection',
        token: admin,
        body: { ...measure, legalBasis: `测试 ${i}` },
      });
      expect(put.statusCode, put.body).toBe(200);
    }
    const flooded = Date.now();
    // Watched for well past the stuck threshold: every answer must be 200.
    const answers: { statusCode: number; body: ReadyBody }[] = [];
    await eventually(
      async () => {
        answers.push(await ready());
        return Date.now() - flooded;
      },
      (elapsed) => elapsed > 2.5 * stuckAfterMs,
      30_000,
    );
    const refused = answers.find((a) => a.statusCode !== 200);
    expect(refused, JSON.stringify(refused?.body)).toBeUndefined();
    const last = answers.at(-1)?.body;
    expect(last?.checks.consumers.every((c) => (c.lagSeconds ?? 0) < stuckAfterMs / 1000)).toBe(true);
  });

  it('turns not ready while a consumer cannot apply its events, and ready again once it can', async (context) => {
    if (platform.databaseKind !== 'postgres') context.skip();
    const provider = (await registerProvider(platform, ['org_licence'], 'ready-dept', 'x')).token;
    // Another session holds the query projection's consumer lock, as a hung instance would.
    const holder = new pg.Client({ connectionString: platform.databaseUrl as string });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext('query-records@ingest'))`);
      const pushed = await platform.request({
        method: 'POST',
        url: '/v1/records',
        token: provider,
        body: {
          sourceId: 'READY-1',
          category: 'org_licence',
          subject: { kind: 'legal_person', id: uscc(), name: '淄博某陶瓷有限公司' },
          occurredAt: '2025-10-20',
          data: findEntry('org_licence')?.sample,
        },
      });
      expect(pushed.statusCode, pushed.body).toBe(201);
      const stuck = await eventually(ready, (r) => r.statusCode === 503, 30_000);
      expect(stuck.statusCode).toBe(503);
      expect(stuck.body.checks.consumers.filter((c) => c.stuck).map((c) => c.name)).toEqual([
        'query-records',
      ]);
    } finally {
      await holder.end();
    }
    const recovered = await eventually(ready, (r) => r.statusCode === 200, 30_000);
    expect(recovered.statusCode, JSON.stringify(recovered.body)).toBe(200);
  });
});
