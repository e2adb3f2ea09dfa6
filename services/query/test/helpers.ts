import { ingestDefinition } from '@credit/ingest/service';
import { findEntry } from '@credit/schema';
import { citizenId, createTestPlatform, sourceId, type TestPlatform, uscc } from '@credit/testing';
import { queryDefinition } from '../src/service.ts';

export async function queryPlatform(
  options: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<TestPlatform> {
  return createTestPlatform([ingestDefinition, { ...queryDefinition, options }], { env });
}

export interface World {
  admin: string;
  provider: { code: string; token: string };
  agency: { uscc: string; token: string };
}

/** A provider for every catalogue entry, a licensed agency, and the credit office. */
export async function world(platform: TestPlatform, categories: string[]): Promise<World> {
  const admin = await platform.token('admin', { org: 'credit-office' });
  const code = `dept-${Math.random().toString(36).slice(2, 9)}`;
  await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: admin,
    body: { code, name: code, categories },
  });
  const agencyUscc = uscc();
  const registered = await platform.request({
    method: 'POST',
    url: '/v1/agencies',
    token: admin,
    body: {
      uscc: agencyUscc,
      name: '某信用服务有限公司',
      licenceNumber: 'XY-2025-001',
      licenceValidUntil: '2030-12-31',
    },
  });
  if (registered.statusCode !== 201) throw new Error(registered.body);
  return {
    admin,
    provider: { code, token: await platform.token('provider', { org: code }) },
    agency: { uscc: agencyUscc, token: await platform.token('agency', { org: agencyUscc }) },
  };
}

export function record(
  category: string,
  subject: { kind: string; id: string; name: string },
  overrides: Record<string, unknown> = {},
) {
  const entry = findEntry(category);
  if (!entry) throw new Error(category);
  return {
    sourceId: sourceId(category.slice(0, 5).toUpperCase()),
    category,
    subject,
    occurredAt: '2026-06-01',
    data: { ...entry.sample },
    ...overrides,
  };
}

export async function push(
  platform: TestPlatform,
  token: string,
  body: unknown,
): Promise<{ id: string; version: number }> {
  const response = await platform.request({ method: 'POST', url: '/v1/records', token, body });
  if (response.statusCode >= 300) throw new Error(response.body);
  return response.json();
}

export function person() {
  return { kind: 'natural_person', id: citizenId(), name: '周杰' };
}

export function company() {
  return { kind: 'legal_person', id: uscc(), name: '淄博华润陶瓷有限公司' };
}
