import { expectPaginatesToEnd, person, push, record, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

let platform: TestPlatform;
let w: World;

beforeAll(async () => {
  platform = await queryPlatform();
  w = await world(platform, [
    'administrative_penalty',
    'person_education',
    'person_marital_status',
    'exam_cheating',
    'honour_award',
  ]);
});
afterAll(async () => platform?.close());

async function grant(subjectId: string, body: Record<string, unknown> = {}) {
  const token = await platform.token('subject', { subject: subjectId });
  const response = await platform.request({
    method: 'POST',
    url: '/v1/authorisations',
    token,
    body: {
      agency: w.agency.uscc,
      purpose: 'loan',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      ...body,
    },
  });
  expect(response.statusCode, response.body).toBe(201);
  return { ...response.json(), subjectToken: token };
}

const report = (
  subjectId: string,
  token: string,
  options: { authorisation?: string; purpose?: string } = {},
) =>
  platform.request({
    url: `/v1/subjects/${subjectId}/report${options.purpose ? `?purpose=${encodeURIComponent(options.purpose)}` : ''}`,
    token,
    headers: options.authorisation ? { 'x-credit-authorisation': options.authorisation } : {},
  });

describe('credit reports', () => {
  it('shows the subject everything about them, marked, and logs nothing for a self-query', async () => {
    const subject = person();
    const kept = await push(platform, w.provider.token, record('person_education', subject));
    const withdrawn = record('exam_cheating', subject);
    const w1 = await push(platform, w.provider.token, withdrawn);
    await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${withdrawn.sourceId}`,
      token: w.provider.token,
      body: { reason: '误报' },
    });
    const old = await push(
      platform,
      w.provider.token,
      record('exam_cheating', subject, { occurredAt: '2020-01-10' }),
    );
    await platform.drainConsumers();

    const own = await platform.token('subject', { subject: subject.id });
    const response = await report(subject.id, own);
    expect(response.statusCode, response.body).toBe(200);
    const { report: body } = response.json();
    expect(body).toMatchObject({
      audience: 'self',
      subject: { kind: 'natural_person', id: subject.id, name: subject.name },
    });
    const byId = new Map(body.items.map((i: { recordId: string }) => [i.recordId, i]));
    expect(byId.get(kept.id)).toMatchObject({ marks: { withdrawn: false, expired: false } });
    expect(byId.get(w1.id)).toMatchObject({ status: 'withdrawn', marks: { withdrawn: true } });
    expect(byId.get(old.id)).toMatchObject({ marks: { expired: true } });

    const log = await platform.request({ url: `/v1/subjects/${subject.id}/access-log`, token: own });
    expect(log.json()).toMatchObject({ items: [], chainValid: true });
  });

  it('refuses an agency without, with a revoked, an expired, a used-up or someone else’s authorisation', async () => {
    const subject = person();
    await push(platform, w.provider.token, record('person_education', subject));
    await platform.drainConsumers();
    const code = async (
      options: { authorisation?: string },
      subjectId = subject.id,
      token = w.agency.token,
    ) => (await report(subjectId, token, options)).json().code;

    expect(await code({})).toBe('authorisation_required');
    expect(await code({ authorisation: 'not-a-jws' })).toBe('authorisation_required');

    const once = await grant(subject.id, { maxUses: 1 });
    expect((await report(subject.id, w.agency.token, { authorisation: once.token })).statusCode).toBe(200);
    expect(await code({ authorisation: once.token })).toBe('authorisation_exhausted');

    const revocable = await grant(subject.id);
    await platform.request({
      method: 'DELETE',
      url: `/v1/authorisations/${revocable.id}`,
      token: revocable.subjectToken,
    });
    expect(await code({ authorisation: revocable.token })).toBe('authorisation_revoked');

    const shortLived = await grant(subject.id, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    platform.setNow(new Date(Date.now() + 120_000));
    try {
      expect(await code({ authorisation: shortLived.token })).toBe('authorisation_expired');
    } finally {
      platform.setNow(undefined);
    }

    const other = person();
    const forOther = await grant(other.id);
    expect(await code({ authorisation: forOther.token })).toBe('authorisation_mismatch');

    const otherAgency = await platform.token('agency', { org: w.agency.uscc.replace(/.$/, '0') });
    expect((await report(subject.id, otherAgency, { authorisation: once.token })).statusCode).toBe(403);
  });

  it('refuses a suspended or unlicensed agency whatever it presents', async () => {
    const subject = person();
    const auth = await grant(subject.id);
    await platform.request({
      method: 'POST',
      url: `/v1/agencies/${w.agency.uscc}/suspend`,
      token: w.admin,
      body: { reason: '违规' },
    });
    expect((await report(subject.id, w.agency.token, { authorisation: auth.token })).json().code).toBe(
      'agency_not_permitted',
    );
    await platform.request({
      method: 'POST',
      url: `/v1/agencies/${w.agency.uscc}/reinstate`,
      token: w.admin,
      body: { reason: '整改' },
    });
    expect((await report(subject.id, w.agency.token, { authorisation: auth.token })).statusCode).toBe(200);
    platform.setNow(new Date('2031-01-02T00:00:00Z'));
    try {
      expect((await report(subject.id, w.agency.token, { authorisation: auth.token })).json().code).toBe(
        'agency_not_permitted',
      );
    } finally {
      platform.setNow(undefined);
    }
  });

  it('gives an agency only public and authorised items in scope and display period, and logs each report once', async () => {
    const subject = person();
    const education = await push(platform, w.provider.token, record('person_education', subject));
    const marital = await push(platform, w.provider.token, record('person_marital_status', subject));
    const cheating = await push(platform, w.provider.token, record('exam_cheating', subject));
    const expired = await push(
      platform,
      w.provider.token,
      record('exam_cheating', subject, { occurredAt: '2020-01-10' }),
    );
    await platform.drainConsumers();

    const all = await grant(subject.id);
    const allItems = (await report(subject.id, w.agency.token, { authorisation: all.token }))
      .json()
      .report.items.map((i: { recordId: string }) => i.recordId);
    expect(allItems.sort()).toEqual([education.id, cheating.id].sort());
    expect(allItems).not.toContain(marital.id);
    expect(allItems).not.toContain(expired.id);

    const scoped = await grant(subject.id, { scope: ['person_basic'] });
    const scopedItems = (await report(subject.id, w.agency.token, { authorisation: scoped.token })).json()
      .report.items;
    expect(scopedItems.map((i: { recordId: string }) => i.recordId)).toEqual([education.id]);
    expect(scopedItems[0].marks).toBeUndefined();

    const own = await platform.token('subject', { subject: subject.id });
    const log = (await platform.request({ url: `/v1/subjects/${subject.id}/access-log`, token: own })).json();
    expect(log.items).toHaveLength(2);
    expect(log.items[1]).toMatchObject({
      role: 'agency',
      org: w.agency.uscc,
      purpose: 'loan',
      authorisationId: scoped.id,
      channel: 'rest',
      records: [{ id: education.id, version: 1 }],
    });
    expect(log.chainValid).toBe(true);
    await expectPaginatesToEnd(platform, {
      url: `/v1/subjects/${subject.id}/access-log`,
      token: own,
      limit: 1,
      idOf: (entry: { id: string }) => entry.id,
      expected: log.items.map((entry: { id: string }) => entry.id),
      ordered: true,
    });
    const list = (await platform.request({ url: '/v1/authorisations', token: own })).json().items;
    expect(list.find((a: { id: string }) => a.id === scoped.id)).toMatchObject({ uses: 1, state: 'active' });
  });

  it('requires a purpose of government and limits it to its remit', async () => {
    const subject = person();
    const education = await push(platform, w.provider.token, record('person_education', subject));
    await push(platform, w.provider.token, record('exam_cheating', subject));
    const marital = await push(platform, w.provider.token, record('person_marital_status', subject));
    await platform.drainConsumers();
    await platform.request({
      method: 'POST',
      url: '/v1/departments',
      token: w.admin,
      body: { code: 'zb-hr', name: '人社局', remit: ['person_basic'] },
    });
    const government = await platform.token('government', { org: 'zb-hr' });

    const noPurpose = await report(subject.id, government);
    // A missing or blank purpose is the refusal the checks route gives too: 422 purpose_required.
    const refusal = {
      status: 422,
      code: 'purpose_required',
      errors: [{ path: 'query.purpose', code: 'purpose_required' }],
    };
    expect(noPurpose.json()).toMatchObject(refusal);
    expect((await report(subject.id, government, { purpose: '  ' })).json()).toMatchObject(refusal);
    const grades = await platform.request({ url: `/v1/subjects/${subject.id}/grades`, token: government });
    expect(grades.json()).toMatchObject(refusal);
    const unregistered = await platform.token('government', { org: 'unknown-dept' });
    expect((await report(subject.id, unregistered, { purpose: '审批' })).json().code).toBe(
      'department_not_permitted',
    );

    const body = (await report(subject.id, government, { purpose: '职称评审资格核查' })).json().report;
    expect(body.items.map((i: { recordId: string }) => i.recordId).sort()).toEqual(
      [education.id, marital.id].sort(),
    );
    expect(body).toMatchObject({
      audience: 'government',
      purpose: '职称评审资格核查',
      requester: { role: 'government', org: 'zb-hr' },
    });
  });

  it('answers 404 to government for an unknown subject, and never to an agency without authorisation', async () => {
    const stranger = person();
    const government = await platform.token('government', { org: 'zb-hr' });
    expect((await report(stranger.id, government, { purpose: '核查' })).statusCode).toBe(404);
    expect((await report(stranger.id, w.agency.token)).json().code).toBe('authorisation_required');
    expect((await report('not-an-id', w.agency.token)).json().code).toBe('invalid_identifier');
  });
});

describe('signed reports', () => {
  it('verifies a report and fails after any byte changes', async () => {
    const subject = person();
    await push(platform, w.provider.token, record('person_education', subject));
    await platform.drainConsumers();
    const own = await platform.token('subject', { subject: subject.id });
    const { report: body, signature } = (await report(subject.id, own)).json();
    const verify = (candidate: unknown, sig = signature) =>
      platform.request({
        method: 'POST',
        url: '/v1/reports/verify',
        body: { report: candidate, signature: sig },
      });

    expect((await verify(body)).json()).toMatchObject({
      valid: true,
      reportId: body.reportId,
      keyId: expect.any(String),
    });
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    expect((await verify(reordered)).json().valid).toBe(true);

    const tampered = structuredClone(body);
    tampered.items[0].data.institution = `${tampered.items[0].data.institution}x`;
    expect((await verify(tampered)).json()).toMatchObject({ valid: false, reason: expect.any(String) });
    expect((await verify({ ...body, generatedAt: '2020-01-01T00:00:00.000Z' })).json().valid).toBe(false);
    // The character changed is the one replaced (the last carries padding bits in base64url).
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.slice(-1)}`;
    expect((await verify(body, flipped)).json().valid).toBe(false);

    const jwks = (await platform.request({ url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(jwks.keys[0].d).toBeUndefined();
  });
});
