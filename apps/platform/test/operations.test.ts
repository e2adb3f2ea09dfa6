import { createTestPlatform, registerProvider, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
});
afterAll(async () => platform?.close());

describe('operations', () => {
  it('reports ready with the database, migrations and consumers checked', async () => {
    const ready = await platform.request({ url: '/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    const body = ready.json();
    expect(body).toMatchObject({ status: 'ready', checks: { database: true, migrations: { pending: [] } } });
    expect(body.checks.consumers.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['query-records', 'sanctions-records', 'repair-records']),
    );
  });

  it('counts a refused record by its code, and request durations by route pattern', async () => {
    const provider = (await registerProvider(platform, ['org_licence'], 'metrics-dept', 'x')).token;
    await platform.request({
      method: 'POST',
      url: '/v1/records',
      token: provider,
      body: {
        sourceId: 'M-1',
        category: 'org_licence',
        subject: { kind: 'legal_person', id: 'bad', name: 'x' },
        occurredAt: '2025-01-01',
        data: {},
      },
    });
    const metrics = (await platform.request({ url: '/metrics' })).body;
    expect(metrics).toMatch(/ingest_records_total\{outcome="refused",code="invalid_identifier"\} 1/);
    expect(metrics).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/v1\/records",status="422"\} 1/,
    );
    // The whole histogram of that series: cumulative buckets ending at +Inf with the count, and the sum.
    const series = 'method="POST",route="/v1/records",status="422"';
    const buckets = [...metrics.matchAll(/http_request_duration_seconds_bucket\{le="([^"]+)",(.*?)\} (\d+)/g)]
      .filter((match) => match[2] === series)
      .map((match) => ({ le: match[1], value: Number(match[3]) }));
    expect(buckets.map((b) => b.le)).toEqual([
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '+Inf',
    ]);
    expect(buckets.every((b, i) => i === 0 || b.value >= (buckets[i - 1]?.value ?? 0))).toBe(true);
    expect(buckets.at(-1)?.value).toBe(1);
    expect(metrics).toMatch(new RegExp(`http_request_duration_seconds_sum\\{${series}\\} 0\\.\\d+`));
    expect(metrics).toContain('# TYPE http_request_duration_seconds histogram');
    expect(metrics).toContain('event_consumer_lag_seconds{consumer="query-records"}');
    expect(metrics).not.toContain('bad');
  });

  it('turns not ready when the database is gone', async () => {
    await platform.database.close();
    const ready = await platform.request({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not_ready', checks: { database: false } });
    expect(ready.headers['retry-after']).toBe('5');
  });
});
