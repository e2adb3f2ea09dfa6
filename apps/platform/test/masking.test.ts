import type { Disclosure } from '@credit/schema';
import { citizenId, createTestPlatform, recordOn, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * The masking rule (packages/schema disclosure.ts) seen from each role, through the API: what
 * every answer that carries a person's identity shows of it.
 */
let platform: TestPlatform;
let admin: string;
const person = { kind: 'natural_person', id: citizenId(), name: '欧阳娜娜' };
const representative = { id: citizenId(), name: '王强' };
const company = { kind: 'legal_person', id: uscc(), name: '淄博金岭化工有限公司' };
const agencyUscc = uscc();
const records = { person: '', company: '' };
let entryId = '';
let objectionId = '';
/** The platform clock, once the entry is published. */
const clock = new Date('2026-06-08T02:00:00Z');

const record = recordOn('2026-05-20');

const levels = ['full', 'partial', 'masked', 'minimal', 'hidden'] as const;

/** Which level of the rule an answer shows, recognised from its shape (some answers carry no name). */
function levelOf(shown: { id: string; name?: string }, real: { id: string; name: string }): string {
  const family = [...real.name][0] ?? '';
  const recognisable = `${real.id.slice(0, 6)}********${real.id.slice(14)}`;
  const ids: Record<Disclosure, string> = {
    full: real.id,
    partial: recognisable,
    masked: recognisable,
    minimal: `${real.id.slice(0, 3)}***********${real.id.slice(14)}`,
    hidden: '',
  };
  const names: Record<Disclosure, string> = {
    full: real.name,
    partial: real.name,
    masked: family + '*'.repeat([...real.name].length - 1),
    minimal: `${family}*`,
    hidden: '',
  };
  const level = levels.find(
    (l) => shown.id === ids[l] && (shown.name === undefined || shown.name === names[l]),
  );
  return level ?? `unrecognised ${JSON.stringify(shown)}`;
}

async function authorise(subjectId: string, purpose: string): Promise<string> {
  const granted = await platform.request({
    method: 'POST',
    url: '/v1/authorisations',
    token: await platform.token('subject', { subject: subjectId }),
    body: {
      agency: agencyUscc,
      purpose,
      expiresAt: new Date(clock.getTime() + 20 * 86_400_000).toISOString(),
    },
  });
  expect(granted.statusCode, granted.body).toBe(201);
  return granted.json().token;
}

async function report(
  subjectId: string,
  token: string,
  options: { purpose?: string; authorisation?: string },
) {
  const response = await platform.request({
    url: `/v1/subjects/${subjectId}/report${options.purpose ? `?purpose=${encodeURIComponent(options.purpose)}` : ''}`,
    token,
    headers: options.authorisation ? { 'x-credit-authorisation': options.authorisation } : {},
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().report;
}

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  const now = new Date('2026-06-01T02:00:00Z');
  platform.setNow(now);
  admin = await platform.token('admin', { org: 'credit-office' });
  const setup = [
    {
      url: '/v1/providers',
      body: { code: 'zb-hrss', name: '人社局', categories: ['administrative_penalty', 'exam_cheating'] },
    },
    {
      url: '/v1/agencies',
      body: {
        uscc: agencyUscc,
        name: '某征信有限公司',
        licenceNumber: 'ZX-1',
        licenceValidUntil: '2030-12-31',
      },
    },
    { url: '/v1/departments', body: { code: 'zb-tax', name: '税务局', remit: ['dishonesty'] } },
    {
      url: '/v1/rules',
      body: {
        definition: {
          code: 'exam-cheaters',
          name: '考试作弊人员',
          kind: 'black',
          domain: 'general',
          subjectKinds: ['natural_person'],
          identifyingDepartment: 'zb-hrss',
          condition: { type: 'records', match: { entries: ['exam_cheating'] }, minCount: 1 },
          objectionWindowWorkingDays: 1,
        },
      },
    },
  ];
  for (const { url, body } of setup) {
    const created = await platform.request({ method: 'POST', url, token: admin, body });
    expect([200, 201], created.body).toContain(created.statusCode);
  }
  const provider = await platform.token('provider', { org: 'zb-hrss' });
  const push = async (body: unknown) => {
    const pushed = await platform.request({ method: 'POST', url: '/v1/records', token: provider, body });
    expect(pushed.statusCode, pushed.body).toBe(201);
    return pushed.json().id as string;
  };
  records.person = await push(record('exam_cheating', person));
  records.company = await push(
    record('administrative_penalty', company, {
      relatedPersons: [{ role: 'legal_representative', ...representative }],
    }),
  );
  await platform.drainConsumers();

  // The person is listed: noticed, past the objection window, published by the department.
  const hrss = await platform.token('government', { org: 'zb-hrss' });
  const queue = (await platform.request({ url: '/v1/list-entries?status=noticed', token: hrss })).json();
  entryId = queue.items[0].id;
  platform.setNow(clock);
  const published = await platform.request({
    method: 'POST',
    url: `/v1/list-entries/${entryId}/decision`,
    token: await platform.token('government', { org: 'zb-hrss' }),
    body: { decision: 'publish', note: '认定' },
  });
  expect(published.statusCode, published.body).toBe(200);
  const shop = await platform.token('platform', { org: 'shop' });
  await platform.request({
    method: 'POST',
    url: '/v1/watches',
    token: shop,
    body: { subjects: [person.id] },
  });
  await platform.drainConsumers();

  const filed = await platform.request({
    method: 'POST',
    url: '/v1/objections',
    token: await platform.token('subject', { subject: person.id }),
    body: { target: { type: 'record', id: records.person }, reason: '考试记录有误' },
  });
  expect(filed.statusCode, filed.body).toBe(201);
  objectionId = filed.json().id;
});
afterAll(async () => platform?.close());

describe('masking per role', () => {
  it('shows each role what the rule allows of a person, in every answer that carries one', async () => {
    const self = await platform.token('subject', { subject: person.id });
    const companySelf = await platform.token('subject', { subject: company.id });
    const agency = await platform.token('agency', { org: agencyUscc });
    const government = await platform.token('government', { org: 'zb-tax' });
    const provider = await platform.token('provider', { org: 'zb-hrss' });
    const shop = await platform.token('platform', { org: 'shop' });
    const hrss = await platform.token('government', { org: 'zb-hrss' });

    const related = async (subjectId: string, token: string, options = {}) =>
      (await report(subjectId, token, options)).items.flatMap(
        (i: { relatedPersons: { id: string; name: string }[] }) => i.relatedPersons,
      )[0];
    const graphql = async (token: string, args: string) =>
      (
        await platform.request({
          method: 'POST',
          url: '/graphql',
          token,
          body: { query: `{ subject(id: "${person.id}", ${args}) { id name } }` },
        })
      ).json().data.subject;
    const listingChange = (await platform.request({ url: '/v1/listing-changes', token: shop }))
      .json()
      .items.find((c: { entry: { id: string } }) => c.entry.id === entryId);

    // [who, which answer, what it shows, of whom, the level the rule gives]
    const cases: [
      string,
      string,
      { id: string; name?: string },
      typeof person | typeof representative,
      Disclosure,
    ][] = [
      ['subject', 'own report', (await report(person.id, self, {})).subject, person, 'full'],
      [
        'subject',
        'own list entries',
        (await platform.request({ url: `/v1/subjects/${person.id}/list-entries`, token: self })).json()
          .items[0].subject,
        person,
        'full',
      ],
      [
        'subject (company)',
        'related person in own report',
        await related(company.id, companySelf),
        representative,
        'partial',
      ],
      [
        'agency, loan',
        'report',
        (await report(person.id, agency, { authorisation: await authorise(person.id, 'loan') })).subject,
        person,
        'full',
      ],
      [
        'agency, tender',
        'report',
        (await report(person.id, agency, { authorisation: await authorise(person.id, 'tender') })).subject,
        person,
        'partial',
      ],
      [
        'agency, other',
        'report',
        (await report(person.id, agency, { authorisation: await authorise(person.id, 'other') })).subject,
        person,
        'minimal',
      ],
      [
        'agency, other',
        'GraphQL subject',
        await graphql(agency, `authorisation: "${await authorise(person.id, 'other')}"`),
        person,
        'minimal',
      ],
      [
        'agency, loan',
        'related person',
        await related(company.id, agency, { authorisation: await authorise(company.id, 'loan') }),
        representative,
        'minimal',
      ],
      [
        'government',
        'report',
        (await report(person.id, government, { purpose: '纳税信用评价' })).subject,
        person,
        'full',
      ],
      ['government', 'GraphQL subject', await graphql(government, 'purpose: "纳税信用评价"'), person, 'full'],
      [
        'government',
        'related person',
        await related(company.id, government, { purpose: '纳税信用评价' }),
        representative,
        'partial',
      ],
      [
        'government (identifying)',
        'list entry queue',
        (await platform.request({ url: '/v1/list-entries', token: hrss })).json().items[0].subject,
        person,
        'masked',
      ],
      [
        'provider',
        'its record',
        (await platform.request({ url: `/v1/records/${records.person}`, token: provider })).json().subject,
        person,
        'masked',
      ],
      [
        'provider',
        'related person on its record',
        (await platform.request({ url: `/v1/records/${records.company}`, token: provider })).json()
          .versions[0].relatedPersons[0],
        representative,
        'masked',
      ],
      [
        'admin',
        'a record',
        (await platform.request({ url: `/v1/records/${records.person}`, token: admin })).json().subject,
        person,
        'masked',
      ],
      [
        'admin',
        'a subject’s list entries',
        (await platform.request({ url: `/v1/subjects/${person.id}/list-entries`, token: admin })).json()
          .items[0].subject,
        person,
        'full',
      ],
      [
        'platform',
        'listing status',
        (await platform.request({ url: `/v1/listing-status/${person.id}`, token: shop })).json().subject,
        person,
        'minimal',
      ],
      ['platform', 'listing change feed', listingChange.entry.subject, person, 'minimal'],
      [
        'admin',
        'listing status',
        (await platform.request({ url: `/v1/listing-status/${person.id}`, token: admin })).json().subject,
        person,
        'full',
      ],
      [
        'public',
        'related person in disclosure',
        (await platform.request({ url: `/v1/public/subjects/${company.id}` }))
          .json()
          .items.find((i: { recordId: string }) => i.recordId === records.company).relatedPersons[0],
        representative,
        'hidden',
      ],
    ];
    const seen = cases.map(([who, answer, shown, real]) => [who, answer, levelOf(shown, real)]);
    expect(seen).toEqual(cases.map(([who, answer, , , level]) => [who, answer, level]));

    // Persons are not publicly searchable (a citizen ID is refused by its form, whoever it names),
    // and a case file names no one.
    const publicPerson = await platform.request({ url: `/v1/public/subjects/${person.id}` });
    expect(publicPerson.statusCode).toBe(422);
    expect(publicPerson.body).not.toContain(person.name);
    for (const token of [self, provider, admin]) {
      const objection = await platform.request({ url: `/v1/objections/${objectionId}`, token });
      expect(objection.statusCode).toBe(200);
      expect(objection.body).not.toContain(person.id);
      expect(objection.body).not.toContain(person.name);
    }
    const tally = levels.map((l) => `${l} ${cases.filter((c) => c[4] === l).length}`).join(', ');
    console.info(
      `masking: ${cases.length} answers across 8 roles, each as the rule says (${tally}); a platform saw ${listingChange.entry.subject.id}, an agency without an identity purpose ${(await report(person.id, agency, { authorisation: await authorise(person.id, 'other') })).subject.name}`,
    );
  });
});
