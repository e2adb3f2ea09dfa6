import { createTestPlatform, type TestPlatform } from '@credit/testing';
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
    const admin = await platform.token('admin', { org: 'credit-office' });
    await platform.request({
      method: 'POST',
      url: '/v1/providers',
      token: admin,
      body: { code: 'metrics-dept', name: 'x', categories: ['org_licence'] },
    });
    const provider = await platform.token('provider', { org: 'metrics-dept' });
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
