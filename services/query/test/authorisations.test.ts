import { person, push, record, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

let platform: TestPlatform;
let w: World;

beforeAll(async () => {
  platform = await queryPlatform();
  w = await world(platform, ['person_education']);
});
afterAll(async () => platform?.close());

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe('authorisations', () => {
  it('caps expiry per purpose and refuses unknown agencies and scopes', async () => {
    const subject = person();
    const token = await platform.token('subject', { subject: subject.id });
    const grant = (body: Record<string, unknown>) =>
      platform.request({
        method: 'POST',
        url: '/v1/authorisations',
        token,
        body: { agency: w.agency.uscc, purpose: 'employment', expiresAt: inDays(30), ...body },
      });

    expect((await grant({ expiresAt: inDays(120) })).json()).toMatchObject({
      status: 422,
      errors: [{ path: 'expiresAt' }],
    });
    expect((await grant({ purpose: 'loan', expiresAt: inDays(120) })).statusCode).toBe(201);
    expect((await grant({ expiresAt: inDays(-1) })).json().errors[0].path).toBe('expiresAt');
    expect((await grant({ agency: '91370303MA3C000004' })).json().errors[0].path).toBe('agency');
    expect((await grant({ scope: ['dishonesty', 'no_such'] })).json().errors[0].path).toBe('scope.1');
    expect((await grant({ purpose: 'gambling' })).statusCode).toBe(422);
    const agencyToken = await platform.token('agency', { org: w.agency.uscc });
    expect(
      (await platform.request({ method: 'POST', url: '/v1/authorisations', token: agencyToken, body: {} }))
        .statusCode,
    ).toBe(403);
  });

  it('accepts an authorisation the subject signed at the agency through the identity provider, once recorded, countable and revocable', async () => {
    const subject = person();
    await push(platform, w.provider.token, record('person_education', subject));
    await platform.drainConsumers();
    const issuer = platform.runtime.devIssuer;
    if (!issuer) throw new Error('dev issuer');
    const signed = await issuer.signJws(
      {
        sub: subject.id,
        subject_id: subject.id,
        agency: w.agency.uscc,
        purpose: 'lease',
        jti: `consent-${Date.now()}`,
        max_uses: 2,
      },
      'credit-consent+jwt',
      600,
    );
    const report = () =>
      platform.request({
        url: `/v1/subjects/${subject.id}/report`,
        token: w.agency.token,
        headers: { 'x-credit-authorisation': signed },
      });
    const first = await report();
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().report).toMatchObject({
      audience: 'agency',
      purpose: 'lease',
      authorisationId: expect.stringMatching(/^auz_/),
    });

    const own = await platform.token('subject', { subject: subject.id });
    const listed = (await platform.request({ url: '/v1/authorisations', token: own })).json().items;
    expect(listed).toEqual([
      expect.objectContaining({
        origin: 'identity_provider',
        purpose: 'lease',
        uses: 1,
        maxUses: 2,
        state: 'active',
      }),
    ]);

    await platform.request({ method: 'DELETE', url: `/v1/authorisations/${listed[0].id}`, token: own });
    expect((await report()).json().code).toBe('authorisation_revoked');

    // A consent signed by someone else's key, or for another subject, is refused.
    const other = person();
    const forOther = await issuer.signJws(
      {
        sub: other.id,
        subject_id: other.id,
        agency: w.agency.uscc,
        purpose: 'lease',
        jti: `c-${Date.now()}`,
      },
      'credit-consent+jwt',
    );
    const mismatch = await platform.request({
      url: `/v1/subjects/${subject.id}/report`,
      token: w.agency.token,
      headers: { 'x-credit-authorisation': forOther },
    });
    expect(mismatch.json().code).toBe('authorisation_mismatch');
    const accessToken = await platform.token('subject', { subject: subject.id });
    const wrongType = await platform.request({
      url: `/v1/subjects/${subject.id}/report`,
      token: w.agency.token,
      headers: { 'x-credit-authorisation': accessToken },
    });
    expect(wrongType.json().code).toBe('authorisation_required');
  });

  it('cannot be used beyond its maximum even by concurrent reports', async () => {
    const subject = person();
    await push(platform, w.provider.token, record('person_education', subject));
    await platform.drainConsumers();
    const token = await platform.token('subject', { subject: subject.id });
    const granted = (
      await platform.request({
        method: 'POST',
        url: '/v1/authorisations',
        token,
        body: { agency: w.agency.uscc, purpose: 'loan', expiresAt: inDays(10), maxUses: 3 },
      })
    ).json();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        platform.request({
          url: `/v1/subjects/${subject.id}/report`,
          token: w.agency.token,
          headers: { 'x-credit-authorisation': granted.token },
        }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(3);
    expect(
      results.filter((r) => r.statusCode === 403).every((r) => r.json().code === 'authorisation_exhausted'),
    ).toBe(true);
    const log = (await platform.request({ url: `/v1/subjects/${subject.id}/access-log`, token })).json();
    expect(log.items).toHaveLength(3);
    expect(log.chainValid).toBe(true);
  });
});
