import { person, push, record, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

let platform: TestPlatform;
let w: World;
let hr: string;
let tax: string;

beforeAll(async () => {
  platform = await queryPlatform();
  w = await world(platform, ['person_employment']);
  for (const [code, name] of [
    ['zb-hr', '人社局'],
    ['zb-tax', '税务局'],
  ]) {
    await platform.request({
      method: 'POST',
      url: '/v1/departments',
      token: w.admin,
      body: { code, name, remit: ['person_basic'] },
    });
  }
  hr = await platform.token('government', { org: 'zb-hr' });
  tax = await platform.token('government', { org: 'zb-tax' });
});
afterAll(async () => platform?.close());

const income = 12_345;

async function authorise(subjectToken: string, purpose: string): Promise<string> {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/authorisations',
    token: subjectToken,
    body: { agency: w.agency.uscc, purpose, expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().token;
}

/** The employment item as a caller's report shows it. */
async function item(subjectId: string, token: string, options: { purpose?: string; authorisation?: string }) {
  const response = await platform.request({
    url: `/v1/subjects/${subjectId}/report${options.purpose ? `?purpose=${encodeURIComponent(options.purpose)}` : ''}`,
    token,
    headers: options.authorisation ? { 'x-credit-authorisation': options.authorisation } : {},
  });
  expect(response.statusCode, response.body).toBe(200);
  const [first] = response.json().report.items;
  if (first.redacted.length > 0) expect(response.body).not.toContain(String(income));
  return { monthlyIncome: first.data.monthlyIncome, redacted: first.redacted };
}

describe('consent scope on reading (收入、存款… only within the consent)', () => {
  it('refuses a consent that names no purposes', async () => {
    const subject = person();
    const own = await platform.token('subject', { subject: subject.id });
    const response = await platform.request({
      method: 'POST',
      url: '/v1/consents',
      token: own,
      body: {
        subject: { kind: 'natural_person', id: subject.id },
        provider: w.provider.code,
        fields: ['income'],
        purpose: '就业登记',
      },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual([expect.objectContaining({ path: 'purposes' })]);
  });

  it('shows consent-gated values only to the recipients and purposes the consent names, while it stands', async () => {
    const subject = person();
    const own = await platform.token('subject', { subject: subject.id });
    const consent = await platform.request({
      method: 'POST',
      url: '/v1/consents',
      token: own,
      body: {
        subject: { kind: 'natural_person', id: subject.id },
        provider: w.provider.code,
        fields: ['income'],
        purpose: '就业登记',
        purposes: ['employment'],
        recipients: [
          { kind: 'department', id: 'zb-hr' },
          { kind: 'agency', id: w.agency.uscc },
        ],
      },
    });
    expect(consent.statusCode, consent.body).toBe(201);
    expect(consent.json()).toMatchObject({
      purposes: ['employment'],
      recipients: [
        { kind: 'agency', id: w.agency.uscc },
        { kind: 'department', id: 'zb-hr' },
      ],
    });
    await push(
      platform,
      w.provider.token,
      record('person_employment', subject, {
        consentRef: consent.json().id,
        data: { employer: '淄博某陶瓷有限公司', since: '2024-03-01', monthlyIncome: income },
      }),
    );
    await platform.drainConsumers();

    const shown = { monthlyIncome: income, redacted: [] };
    const hidden = { monthlyIncome: undefined, redacted: ['monthlyIncome'] };
    expect(await item(subject.id, own, {})).toEqual(shown);
    expect(await item(subject.id, hr, { purpose: '就业登记核验' })).toEqual(shown);
    expect(await item(subject.id, tax, { purpose: '纳税核查' })).toEqual(hidden);
    const forEmployment = await authorise(own, 'employment');
    const forLoan = await authorise(own, 'loan');
    expect(await item(subject.id, w.agency.token, { authorisation: forEmployment })).toEqual(shown);
    expect(await item(subject.id, w.agency.token, { authorisation: forLoan })).toEqual(hidden);

    // Another agency, even on an employment authorisation, is not a recipient.
    const otherUscc = uscc();
    await platform.request({
      method: 'POST',
      url: '/v1/agencies',
      token: w.admin,
      body: {
        uscc: otherUscc,
        name: '另一信用服务公司',
        licenceNumber: 'XY-2',
        licenceValidUntil: '2030-12-31',
      },
    });
    const other = await platform.token('agency', { org: otherUscc });
    const otherGrant = await platform.request({
      method: 'POST',
      url: '/v1/authorisations',
      token: own,
      body: {
        agency: otherUscc,
        purpose: 'employment',
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
    });
    expect(await item(subject.id, other, { authorisation: otherGrant.json().token })).toEqual(hidden);

    // GraphQL reads under the same rule.
    const gql = await platform.request({
      method: 'POST',
      url: '/graphql',
      token: w.agency.token,
      body: {
        query: `query ($id: ID!, $a: String) { subject(id: $id, authorisation: $a) { records { edges { node { data redacted } } } } }`,
        variables: { id: subject.id, a: await authorise(own, 'loan') },
      },
    });
    const [edge] = gql.json().data.subject.records.edges;
    expect(edge.node.redacted).toEqual(['monthlyIncome']);
    expect(JSON.stringify(gql.json())).not.toContain(String(income));

    // Once the subject revokes the consent, nobody else sees the value.
    await platform.request({ method: 'DELETE', url: `/v1/consents/${consent.json().id}`, token: own });
    await platform.drainConsumers();
    expect(await item(subject.id, hr, { purpose: '就业登记核验' })).toEqual(hidden);
    expect(
      await item(subject.id, w.agency.token, { authorisation: await authorise(own, 'employment') }),
    ).toEqual(hidden);
    expect(await item(subject.id, own, {})).toEqual(shown);
  });
});
