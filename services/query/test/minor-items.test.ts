import { company, push, record, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

let platform: TestPlatform;
let w: World;
const now = new Date('2026-06-15T02:00:00Z');

beforeAll(async () => {
  platform = await queryPlatform();
  platform.setNow(now);
  w = await world(platform, ['failed_inspection']);
  await platform.request({
    method: 'POST',
    url: '/v1/departments',
    token: w.admin,
    body: { code: 'zb-amr', name: '市场监管局', remit: ['dishonesty'] },
  });
});
afterAll(async () => platform?.close());

const ids = (items: { recordId: string }[]) => items.map((i) => i.recordId);

describe('minor (轻微) dishonesty: not published (docs/disclosure-rules.md)', () => {
  it('is shown to the subject and to departments within remit for three months, never to an agency or the public', async () => {
    const org = company();
    // Two weeks old, well inside the three months a minor item may be shown at most.
    const minor = await push(
      platform,
      w.provider.token,
      record('failed_inspection', org, { occurredAt: '2026-06-01' }),
    );
    const general = await push(
      platform,
      w.provider.token,
      record('failed_inspection', org, {
        occurredAt: '2026-06-01',
        data: { ...record('failed_inspection', org).data, severity: 'general' },
      }),
    );
    await platform.drainConsumers();

    const own = await platform.token('subject', { subject: org.id });
    const self = (await platform.request({ url: `/v1/subjects/${org.id}/report`, token: own })).json().report;
    expect(ids(self.items).sort()).toEqual([minor.id, general.id].sort());
    const minorItem = self.items.find((i: { recordId: string }) => i.recordId === minor.id);
    expect(minorItem).toMatchObject({ severity: 'minor', publicity: 'government' });
    expect(new Date(minorItem.displayUntil).getTime()).toBeLessThan(
      new Date('2026-09-02T00:00:00Z').getTime(),
    );

    const government = await platform.token('government', { org: 'zb-amr' });
    const official = (
      await platform.request({ url: `/v1/subjects/${org.id}/report?purpose=监管核查`, token: government })
    ).json().report;
    expect(ids(official.items).sort()).toEqual([minor.id, general.id].sort());

    const authorisation = await platform.request({
      method: 'POST',
      url: '/v1/authorisations',
      token: own,
      body: {
        agency: w.agency.uscc,
        purpose: 'loan',
        expiresAt: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
      },
    });
    expect(authorisation.statusCode, authorisation.body).toBe(201);
    const agencyReport = await platform.request({
      url: `/v1/subjects/${org.id}/report`,
      token: w.agency.token,
      headers: { 'x-credit-authorisation': authorisation.json().token },
    });
    expect(agencyReport.statusCode, agencyReport.body).toBe(200);
    expect(ids(agencyReport.json().report.items)).toEqual([general.id]);

    const gql = await platform.request({
      method: 'POST',
      url: '/graphql',
      token: w.agency.token,
      body: {
        query: `query ($id: ID!, $a: String) { subject(id: $id, authorisation: $a) { records { edges { node { recordId } } } } }`,
        variables: { id: org.id, a: authorisation.json().token },
      },
    });
    const edges = gql.json().data.subject.records.edges as { node: { recordId: string } }[];
    expect(edges.map((e) => e.node.recordId)).toEqual([general.id]);

    const disclosed = (await platform.request({ url: `/v1/public/subjects/${org.id}` })).json();
    expect(JSON.stringify(disclosed)).not.toContain(minor.id);

    // Past its three months it leaves the departments' view too; the subject still sees it, marked.
    platform.setNow(new Date('2026-09-02T02:00:00Z'));
    try {
      const later = await platform.token('government', { org: 'zb-amr' });
      const after = (
        await platform.request({ url: `/v1/subjects/${org.id}/report?purpose=监管核查`, token: later })
      ).json().report;
      expect(ids(after.items)).toEqual([general.id]);
    } finally {
      platform.setNow(now);
    }
  });
});
