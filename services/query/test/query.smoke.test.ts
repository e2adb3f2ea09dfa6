import { company, person, push, record, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

/** The report path on whatever database the project gives this file (PGlite in `pglite-smoke`). */
let platform: TestPlatform;
let w: World;

beforeAll(async () => {
  platform = await queryPlatform();
  w = await world(platform, ['person_education', 'org_registration']);
});
afterAll(async () => platform?.close());

describe('query smoke', () => {
  it('projects a pushed record, serves an authorised agency a signed report and logs it', async () => {
    const subject = person();
    const pushed = await push(platform, w.provider.token, record('person_education', subject));
    await platform.drainConsumers();
    const own = await platform.token('subject', { subject: subject.id });
    const granted = (
      await platform.request({
        method: 'POST',
        url: '/v1/authorisations',
        token: own,
        body: {
          agency: w.agency.uscc,
          purpose: 'employment',
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
      })
    ).json();
    const response = await platform.request({
      url: `/v1/subjects/${subject.id}/report`,
      token: w.agency.token,
      headers: { 'x-credit-authorisation': granted.token },
    });
    expect(response.statusCode, response.body).toBe(200);
    const { report, signature } = response.json();
    expect(report.items.map((i: { recordId: string }) => i.recordId)).toEqual([pushed.id]);
    expect(
      (
        await platform.request({ method: 'POST', url: '/v1/reports/verify', body: { report, signature } })
      ).json().valid,
    ).toBe(true);
    const log = (
      await platform.request({ url: `/v1/subjects/${subject.id}/access-log`, token: w.admin })
    ).json();
    expect(log).toMatchObject({ items: [{ role: 'agency', authorisationId: granted.id }], chainValid: true });
  });

  it('finds an organisation by a misspelt, traditional, region-less name (the name index on this database)', async () => {
    const organisation = company();
    await push(platform, w.provider.token, record('org_registration', organisation));
    await platform.drainConsumers();
    const response = await platform.request({
      url: `/v1/public/search?q=${encodeURIComponent('華閏陶瓷有限責任公司')}`,
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().items[0]).toMatchObject({ id: organisation.id, name: organisation.name });
  });
});
