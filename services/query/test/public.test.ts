import { shanghaiDate } from '@credit/calendar';
import { company, person, push, record, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

let platform: TestPlatform;
let w: World;

beforeAll(async () => {
  platform = await queryPlatform({ publicRateLimit: 30 });
  w = await world(platform, [
    'org_registration',
    'org_licence',
    'administrative_penalty',
    'administrative_penalty_summary',
    'fee_fund_arrears',
    'person_education',
  ]);
});
afterAll(async () => platform?.close());

describe('public disclosure (双公示)', () => {
  it('shows registration, licences and penalties in their display period, nothing else, without a token', async () => {
    const org = company();
    await push(platform, w.provider.token, record('org_registration', org));
    const licence = await push(platform, w.provider.token, record('org_licence', org));
    const penalty = await push(platform, w.provider.token, record('administrative_penalty', org));
    const summary = await push(
      platform,
      w.provider.token,
      record('administrative_penalty_summary', org, { occurredAt: shanghaiDate(new Date()) }),
    );
    const expiredPenalty = await push(
      platform,
      w.provider.token,
      record('administrative_penalty', org, { occurredAt: '2021-03-01' }),
    );
    const arrears = await push(platform, w.provider.token, record('fee_fund_arrears', org));
    const withdrawn = record('administrative_penalty', org);
    await push(platform, w.provider.token, withdrawn);
    await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${withdrawn.sourceId}`,
      token: w.provider.token,
      body: { reason: '撤销' },
    });
    await platform.drainConsumers();

    const response = await platform.request({ url: `/v1/public/subjects/${org.id.toLowerCase()}` });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.subject).toEqual({ uscc: org.id, kind: 'legal_person', name: org.name });
    expect(body.registration).toMatchObject({ legalRepresentative: expect.any(String) });
    const shown = body.items.map((i: { recordId: string; category: string }) => i.recordId);
    expect(shown).toContain(licence.id);
    expect(shown).toContain(penalty.id);
    expect(shown).toContain(summary.id);
    expect(shown).not.toContain(expiredPenalty.id);
    expect(JSON.stringify(body)).not.toContain(arrears.id);
    // The IETF fields: the class's quota per minute, and what is left of it.
    expect(response.headers['ratelimit-policy']).toBe('"public";q=30;w=60');
    expect(response.headers.ratelimit).toMatch(/^"public";r=\d+;t=\d+$/);
    expect(response.headers).not.toHaveProperty('x-ratelimit-limit');
  });

  it('answers a natural person’s identifier the same whether the person has records or not', async () => {
    const someone = person();
    await push(platform, w.provider.token, record('person_education', someone));
    await platform.drainConsumers();
    const personResponse = await platform.request({ url: `/v1/public/subjects/${someone.id}` });
    const stranger = await platform.request({ url: `/v1/public/subjects/${person().id}` });
    const unknown = await platform.request({ url: `/v1/public/subjects/${company().id}` });
    expect(unknown.statusCode).toBe(404);
    // Not a USCC: refused by its form alone, which says nothing about whether the person has a file.
    expect(personResponse.statusCode).toBe(422);
    expect(personResponse.json().code).toBe('invalid_identifier');
    expect(stranger.statusCode).toBe(422);
    expect(stranger.json().code).toBe('invalid_identifier');
  });

  it('rate-limits the public route with a problem+json 429', async () => {
    const org = company();
    let limited: Awaited<ReturnType<typeof platform.request>> | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const response = await platform.request({
        url: `/v1/public/subjects/${org.id}`,
        headers: { 'x-forwarded-for': '10.9.9.9' },
      });
      if (response.statusCode === 429) limited = response;
    }
    expect(limited?.headers['content-type']).toContain('application/problem+json');
    expect(limited?.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(limited?.headers['retry-after']).toBeDefined();
  });
});
