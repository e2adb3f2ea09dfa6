import { push, record, registerProvider, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform } from './helpers.ts';

let platform: TestPlatform;
let admin: string;
/** The market regulator registers organisations; the tax office and a court push other records. */
let registry: { code: string; token: string };
let tax: { code: string; token: string };
let court: { code: string; token: string };

beforeAll(async () => {
  platform = await queryPlatform();
  admin = await platform.token('admin', { org: 'credit-office' });
  registry = await registerProvider(platform, ['org_registration', 'org_licence'], 'zb-scjg');
  tax = await registerProvider(
    platform,
    ['tax_social_insurance_arrears', 'administrative_penalty'],
    'zb-tax',
  );
  court = await registerProvider(platform, ['dishonest_judgement_debtor'], 'zb-court');
});
afterAll(async () => platform?.close());

async function publicName(id: string): Promise<string> {
  const response = await platform.request({ url: `/v1/public/subjects/${id}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().subject.name;
}

async function reportName(id: string): Promise<string> {
  const own = await platform.token('subject', { subject: id });
  const response = await platform.request({ url: `/v1/subjects/${id}/report`, token: own });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().report.subject.name;
}

describe('subject names: the registration authority decides, nobody else renames', () => {
  it('keeps the registered name when another department pushes a different one later', async () => {
    const id = uscc();
    const registered = { kind: 'legal_person', id, name: '淄博测试商贸有限公司' };
    await push(platform, registry.token, record('org_registration', registered));
    await platform.drainConsumers();
    const penalty = await push(
      platform,
      tax.token,
      record('administrative_penalty', { ...registered, name: 'x公司' }),
    );
    await platform.drainConsumers();

    expect(await publicName(id)).toBe('淄博测试商贸有限公司');
    expect(await reportName(id)).toBe('淄博测试商贸有限公司');
    // The department's own name stays with its record.
    const view = await platform.request({ url: `/v1/records/${penalty.id}`, token: tax.token });
    expect(view.json().subject.name).toBe('x公司');
  });

  it('does not let departments rename an organisation the registry has not registered yet', async () => {
    const id = uscc();
    await push(
      platform,
      tax.token,
      record('administrative_penalty', { kind: 'legal_person', id, name: '淄博先到贸易有限公司' }),
    );
    await platform.drainConsumers();
    await push(
      platform,
      court.token,
      record('dishonest_judgement_debtor', { kind: 'legal_person', id, name: '后到公司' }),
    );
    await platform.drainConsumers();
    expect(await publicName(id)).toBe('淄博先到贸易有限公司');

    // The registry's record then decides, even over a name seen first.
    await push(
      platform,
      registry.token,
      record('org_registration', { kind: 'legal_person', id, name: '淄博登记名称有限公司' }),
    );
    await platform.drainConsumers();
    expect(await publicName(id)).toBe('淄博登记名称有限公司');
  });

  it('renames through the registry, keeps the former name (曾用名) on record', async () => {
    const id = uscc();
    const registration = record('org_registration', {
      kind: 'legal_person',
      id,
      name: '淄博旧名商贸有限公司',
    });
    await push(platform, registry.token, registration);
    await platform.drainConsumers();
    const corrected = await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${registration.sourceId}`,
      token: registry.token,
      body: {
        category: registration.category,
        subject: { kind: 'legal_person', id, name: '淄博新名商贸集团有限公司' },
        occurredAt: '2026-09-01',
        data: registration.data,
        reason: '名称变更登记',
      },
    });
    expect(corrected.statusCode, corrected.body).toBe(200);
    await platform.drainConsumers();
    expect(await publicName(id)).toBe('淄博新名商贸集团有限公司');

    const names = await platform.request({ url: `/v1/subjects/${id}/names`, token: admin });
    expect(names.statusCode, names.body).toBe(200);
    expect(names.json()).toMatchObject({
      current: { name: '淄博新名商贸集团有限公司', provider: registry.code },
      former: [{ name: '淄博旧名商贸有限公司', provider: registry.code }],
    });
  });

  it('reports names that differ from the registered one in the provider’s quality statistics', async () => {
    const id = uscc();
    const registered = { kind: 'legal_person', id, name: '淄博统计测试有限公司' };
    await push(platform, registry.token, record('org_registration', registered));
    const before = (
      await platform.request({ url: `/v1/providers/${tax.code}/statistics`, token: admin })
    ).json().subjectNameMismatches;
    await push(
      platform,
      tax.token,
      record('tax_social_insurance_arrears', { ...registered, name: '统计公司' }),
    );
    await push(platform, tax.token, record('administrative_penalty', registered));
    const after = await platform.request({ url: `/v1/providers/${tax.code}/statistics`, token: admin });
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json().subjectNameMismatches).toBe(before + 1);
  });
});
