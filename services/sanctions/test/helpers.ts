import { ingestDefinition } from '@credit/ingest/service';
import { findEntry } from '@credit/schema';
import { citizenId, createTestPlatform, sourceId, type TestPlatform, uscc } from '@credit/testing';
import { sanctionsDefinition } from '../src/service.ts';

export async function sanctionsPlatform(
  settings: Record<string, unknown> = {},
  platformOptions: Parameters<typeof createTestPlatform>[1] = {},
): Promise<TestPlatform> {
  return createTestPlatform(
    [ingestDefinition, { ...sanctionsDefinition, options: { dailyCheckMs: 0, ...settings } }],
    platformOptions,
  );
}

export interface Actors {
  admin: string;
  provider: string;
  court: string;
}

export async function actors(platform: TestPlatform, categories: string[]): Promise<Actors> {
  const admin = await platform.token('admin', { org: 'credit-office' });
  const code = `dept-${Math.random().toString(36).slice(2, 9)}`;
  const registered = await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: admin,
    body: { code, name: code, categories },
  });
  if (registered.statusCode !== 201) throw new Error(registered.body);
  return {
    admin,
    provider: await platform.token('provider', { org: code }),
    court: await platform.token('government', { org: 'zb-court' }),
  };
}

export async function defineRule(platform: TestPlatform, admin: string, definition: Record<string, unknown>) {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/rules',
    token: admin,
    body: { definition },
  });
  if (response.statusCode !== 201) throw new Error(response.body);
  return response.json();
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
    occurredAt: '2026-05-20',
    data: { ...entry.sample },
    ...overrides,
  };
}

export async function push(platform: TestPlatform, token: string, body: unknown) {
  const response = await platform.request({ method: 'POST', url: '/v1/records', token, body });
  if (response.statusCode >= 300) throw new Error(response.body);
  return response.json() as { id: string; linkedRecords: { id: string; role: string }[] };
}

export const company = () => ({ kind: 'legal_person', id: uscc(), name: '淄博恒达建材有限公司' });
export const person = () => ({ kind: 'natural_person', id: citizenId(), name: '刘伟' });

/**
 * Puts a subject on the black list the way a department does: a serious record, the notice the
 * rule raises, the objection window passing (`passWindow` moves the clock), the publication.
 */
export async function listAndPublish(
  platform: TestPlatform,
  provider: string,
  subject: { kind: string; id: string; name: string },
  passWindow: () => void,
) {
  const basis = record('ecommerce_fake_orders', subject);
  await push(platform, provider, basis);
  await platform.drainConsumers();
  const amr = await platform.token('government', { org: 'zb-amr' });
  const pending = (await platform.request({ url: '/v1/list-entries?status=noticed', token: amr })).json()
    .items;
  const entry = pending.find((e: { subject: { kind: string } }) => e.subject.kind === subject.kind);
  passWindow();
  const decided = await platform.request({
    method: 'POST',
    url: `/v1/list-entries/${entry.id}/decision`,
    token: amr,
    body: { decision: 'publish', note: '认定' },
  });
  if (decided.statusCode !== 200) throw new Error(decided.body);
  await platform.drainConsumers();
  return { basis, entryId: entry.id as string };
}

/** The black-list rule for 刷单炒信 that `listAndPublish` relies on. */
export const brushingRule = {
  code: 'ecommerce-brushing',
  name: '电子商务严重失信（刷单炒信）',
  kind: 'black',
  domain: 'ecommerce',
  subjectKinds: ['legal_person', 'unincorporated_org', 'natural_person'],
  identifyingDepartment: 'zb-amr',
  condition: {
    type: 'records',
    match: { entries: ['ecommerce_fake_orders'], severities: ['serious'] },
    minCount: 1,
  },
  objectionWindowWorkingDays: 3,
};
