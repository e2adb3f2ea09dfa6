import { ingestDefinition } from '@credit/ingest/service';
import {
  createTestPlatform,
  push,
  recordOn,
  registerProvider,
  type TestPlatform,
  type TestSubject,
} from '@credit/testing';
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
  return {
    admin: await platform.token('admin', { org: 'credit-office' }),
    provider: (await registerProvider(platform, categories)).token,
    court: await platform.token('government', { org: 'zb-court' }),
  };
}

/** The date the sanctions tests' clocks and objection windows are worked out from. */
export const record = recordOn('2026-05-20');

/**
 * Puts a subject on the black list the way a department does: a serious record, the notice the
 * rule raises, the objection window passing (`passWindow` moves the clock), the publication.
 */
export async function listAndPublish(
  platform: TestPlatform,
  provider: string,
  subject: TestSubject,
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
