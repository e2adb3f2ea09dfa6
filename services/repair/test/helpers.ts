import { ingestDefinition } from '@credit/ingest/service';
import { queryDefinition } from '@credit/query/service';
import { sanctionsDefinition } from '@credit/sanctions/service';
import { findEntry } from '@credit/schema';
import { citizenId, createTestPlatform, sourceId, type TestPlatform, uscc } from '@credit/testing';
import { repairDefinition } from '../src/service.ts';

/** Repair is tested with the services it acts on: ingest, query and sanctions. */
export async function repairPlatform(
  options: { env?: Record<string, string>; now?: Date } = {},
): Promise<TestPlatform> {
  return createTestPlatform(
    [
      ingestDefinition,
      queryDefinition,
      { ...sanctionsDefinition, options: { dailyCheckMs: 0 } },
      { ...repairDefinition, options: { expiryEveryMs: 0, calendarWatchMs: 0 } },
    ],
    options,
  );
}

export interface Actors {
  admin: string;
  provider: string;
  providerCode: string;
}

export async function actors(platform: TestPlatform, categories: string[]): Promise<Actors> {
  const admin = await platform.token('admin', { org: 'credit-office' });
  const providerCode = `dept-${Math.random().toString(36).slice(2, 9)}`;
  const registered = await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: admin,
    body: { code: providerCode, name: providerCode, categories },
  });
  if (registered.statusCode !== 201) throw new Error(`registering a provider: ${registered.body}`);
  return { admin, provider: await platform.token('provider', { org: providerCode }), providerCode };
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
    occurredAt: '2026-01-10',
    data: { ...entry.sample },
    ...overrides,
  };
}

export async function push(platform: TestPlatform, token: string, body: unknown): Promise<{ id: string }> {
  const response = await platform.request({ method: 'POST', url: '/v1/records', token, body });
  if (response.statusCode >= 300) throw new Error(response.body);
  return response.json();
}

export const company = () => ({ kind: 'legal_person', id: uscc(), name: '淄博鸿运餐饮有限公司' });
export const person = () => ({ kind: 'natural_person', id: citizenId(), name: '王芳' });
