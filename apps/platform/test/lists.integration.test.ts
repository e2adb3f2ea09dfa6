import {
  createTestPlatform,
  debtorRule,
  defineRule,
  push,
  record,
  registerDepartment,
  registerProvider,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * Across services, through events only: a record pushed to ingest makes a sanctions rule list the
 * subject; once published, the query service shows it in GraphQL list status and in public
 * disclosure, and stops showing it when the basis record is withdrawn.
 */
let platform: TestPlatform;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  platform.setNow(new Date('2026-06-01T02:00:00Z'));
});
afterAll(async () => platform?.close());

describe('lists across ingest, sanctions and query', () => {
  it('shows a published black entry in GraphQL list status and public disclosure, and its exit', async () => {
    const admin = await platform.token('admin', { org: 'credit-office' });
    const provider = (await registerProvider(platform, ['dishonest_judgement_debtor'], 'zb-court', '法院'))
      .token;
    const court = await registerDepartment(platform, 'zb-court', ['dishonesty'], '法院');
    await defineRule(platform, admin, debtorRule());
    const org = { kind: 'legal_person', id: uscc(), name: '淄博某商贸有限公司' };
    const basis = record('dishonest_judgement_debtor', org, {
      sourceId: 'ZX-LIST-1',
      occurredAt: '2026-05-25',
    });
    expect((await push(platform, provider, basis)).created).toBe(true);
    await platform.drainConsumers();

    const [pending] = (
      await platform.request({ url: '/v1/list-entries?status=noticed', token: court })
    ).json().items;
    platform.setNow(new Date('2026-06-10T02:00:00Z'));
    await platform.request({
      method: 'POST',
      url: `/v1/list-entries/${pending.id}/decision`,
      token: court,
      body: { decision: 'publish', note: '认定' },
    });
    await platform.drainConsumers();

    const status = async () => {
      const response = await platform.request({
        method: 'POST',
        url: '/graphql',
        token: court,
        body: {
          query:
            'query ($id: ID!) { subject(id: $id, purpose: "审查") { listStatus { black red entries { id listKind domain } } } }',
          variables: { id: org.id },
        },
      });
      return response.json().data.subject.listStatus;
    };
    expect(await status()).toEqual({
      black: true,
      red: false,
      entries: [{ id: pending.id, listKind: 'black', domain: 'courts' }],
    });
    const disclosed = (await platform.request({ url: `/v1/public/subjects/${org.id}` })).json();
    expect(disclosed.listEntries).toEqual([expect.objectContaining({ id: pending.id, listKind: 'black' })]);

    await platform.request({
      method: 'DELETE',
      url: '/v1/records/by-source/ZX-LIST-1',
      token: provider,
      body: { reason: '法院撤销' },
    });
    await platform.drainConsumers();
    expect(await status()).toEqual({ black: false, red: false, entries: [] });
    expect((await platform.request({ url: `/v1/public/subjects/${org.id}` })).json().listEntries).toEqual([]);
  });
});
