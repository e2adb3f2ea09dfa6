import { findEntry } from '@credit/schema';
import {
  citizenId,
  createTestPlatform,
  debtorRule,
  defineRule,
  registerProvider,
  sourceId,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * POST /v1/screening across ingest, sanctions and query: a batch mixing exact ids, misspelt
 * names, former names, unknowns and an id that contradicts its name is answered per item in
 * order, with listing status from the query service's read model that changes when a subject is
 * listed, and every organisation returned is logged in its access log. Persons are never found.
 */
let platform: TestPlatform;
let admin: string;
let registry: string;
let court: string;
let courtOfficer: string;
let shop: string;

const debtor = { kind: 'legal_person', id: uscc(), name: '淄博华润陶瓷有限公司' };
const trader = { kind: 'legal_person', id: uscc(), name: '淄博瑞祥物流有限公司' };
const renamed = { kind: 'legal_person', id: uscc(), name: '淄博齐盛建材有限公司' };
const renamedTo = '淄博鲁中新材料集团有限公司';
const personName = '周杰伦';
const debtRecord = sourceId('ZX');

async function call(method: 'GET' | 'POST', url: string, token: string, body?: unknown) {
  const response = await platform.request({ method, url, token, body });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json();
}

type Screened = {
  ref: string | null;
  candidates: {
    id: string;
    name: string;
    matchedBy: string;
    score: number;
    listing: { status: { black: boolean }; entries: { measures: string[] }[] };
  }[];
  idConflict: { registeredName: string } | null;
};

async function screen(items: unknown[], token = shop, extra: Record<string, unknown> = {}) {
  return (await call('POST', '/v1/screening', token, { items, ...extra })).items as Screened[];
}

function register(subject: { kind: string; id: string; name: string }, occurredAt = '2026-05-20') {
  return call('POST', '/v1/records', registry, {
    sourceId: sourceId('DJ'),
    category: 'org_registration',
    subject,
    occurredAt,
    data: findEntry('org_registration')?.sample,
  });
}

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  platform.setNow(new Date('2026-06-01T02:00:00Z'));
  admin = await platform.token('admin', { org: 'credit-office' });
  registry = await platform.token('provider', { org: 'zb-scjg' });
  court = await platform.token('provider', { org: 'zb-court' });
  courtOfficer = await platform.token('government', { org: 'zb-court' });
  shop = await platform.token('platform', { org: 'shop' });
  await registerProvider(platform, ['org_registration', 'person_education'], 'zb-scjg', '市场监管局');
  await registerProvider(platform, ['dishonest_judgement_debtor'], 'zb-court', '法院');
  await defineRule(platform, admin, debtorRule({ linkRelatedPersons: false }));
  for (const organisation of [debtor, trader, renamed]) await register(organisation);
  await call('POST', '/v1/records', registry, {
    sourceId: sourceId('XL'),
    category: 'person_education',
    subject: { kind: 'natural_person', id: citizenId(), name: personName },
    occurredAt: '2026-05-20',
    data: findEntry('person_education')?.sample,
  });
  await call('POST', '/v1/records', court, {
    sourceId: debtRecord,
    category: 'dishonest_judgement_debtor',
    subject: debtor,
    occurredAt: '2026-05-25',
    data: findEntry('dishonest_judgement_debtor')?.sample,
  });
  await platform.drainConsumers();
  platform.setNow(new Date('2026-06-02T02:00:00Z'));
  await register({ ...renamed, name: renamedTo }, '2026-06-01');
  await platform.drainConsumers();
});
afterAll(async () => platform?.close());

describe('screening', () => {
  it('answers a mixed batch per item, in order, and says why each candidate matched', async () => {
    const items = await screen([
      { ref: 'exact-id', name: debtor.name, id: debtor.id },
      { ref: 'typo', name: '淄博瑞祥物留有限责任公司' },
      { ref: 'unknown', name: '完全不存在的某某名称有限公司' },
      { ref: 'contradiction', name: '淄博瑞祥物流有限公司', id: debtor.id },
      { ref: 'former', name: '齐盛建材' },
      { ref: 'person', name: personName },
      { ref: 'same-name', name: '華潤陶瓷（淄博）有限公司' },
    ]);
    expect(items.map((i) => i.ref)).toEqual([
      'exact-id',
      'typo',
      'unknown',
      'contradiction',
      'former',
      'person',
      'same-name',
    ]);
    const [exact, typo, unknown, contradiction, former, person, sameName] = items;
    expect(exact?.candidates[0]).toMatchObject({ id: debtor.id, matchedBy: 'exact_id', score: 1 });
    expect(exact?.idConflict).toBeNull();
    expect(typo?.candidates[0]).toMatchObject({ id: trader.id, matchedBy: 'fuzzy_name' });
    expect(unknown?.candidates).toEqual([]);
    expect(contradiction?.idConflict).toMatchObject({ registeredName: debtor.name });
    expect(contradiction?.candidates.map((c) => [c.id, c.matchedBy])).toEqual([
      [debtor.id, 'exact_id'],
      [trader.id, 'exact_name'],
    ]);
    expect(former?.candidates[0]).toMatchObject({ id: renamed.id, name: renamedTo });
    expect(person?.candidates).toEqual([]);
    // The item echoes the caller's own text; no candidate anywhere carries the person's name.
    expect(JSON.stringify(items.map((i) => i.candidates))).not.toContain(personName);
    expect(sameName?.candidates[0]).toMatchObject({ id: debtor.id, matchedBy: 'exact_name', score: 1 });
  });

  it('shows the listing status from the list entries, and its change when the subject is listed', async () => {
    const [before] = await screen([{ name: debtor.name }]);
    expect(before?.candidates[0]?.listing).toEqual({
      status: { red: false, black: false, watch: false },
      entries: [],
    });
    platform.setNow(new Date('2026-06-15T02:00:00Z'));
    const pending = (await call('GET', '/v1/list-entries?status=noticed&limit=100', courtOfficer)).items as {
      id: string;
    }[];
    expect(pending).toHaveLength(1);
    await call('POST', `/v1/list-entries/${pending[0]?.id}/decision`, courtOfficer, {
      decision: 'publish',
      note: '认定',
    });
    await platform.drainConsumers();
    const [after] = await screen([{ name: '淄博华润陶瓷' }]);
    expect(after?.candidates[0]?.listing.status.black).toBe(true);
    expect(after?.candidates[0]?.listing.entries[0]?.measures.length).toBeGreaterThan(0);
  });

  it('logs every organisation it returned in that organisation’s access log', async () => {
    await screen([{ name: trader.name }], courtOfficer, { purpose: '招投标资格审查' });
    const log = await call('GET', `/v1/subjects/${trader.id}/access-log`, admin);
    expect(log.items.map((e: { role: string; org: string }) => [e.role, e.org])).toEqual(
      expect.arrayContaining([
        ['platform', 'shop'],
        ['government', 'zb-court'],
      ]),
    );
    expect(log.chainValid).toBe(true);
  });

  it.each([
    [
      'more than 1,000 items',
      { items: Array.from({ length: 1001 }, () => ({ name: '淄博华润' })) },
      413,
      'batch_too_large',
    ],
    ['a threshold above 1', { items: [{ name: '淄博华润' }], threshold: 1.5 }, 422, 'validation_failed'],
    ['a threshold below 0', { items: [{ name: '淄博华润' }], threshold: -0.1 }, 422, 'validation_failed'],
    ['a one-character name', { items: [{ name: '华' }] }, 422, 'validation_failed'],
    ['no items', { items: [] }, 422, 'validation_failed'],
  ])('refuses %s', async (_what, body, status, code) => {
    const response = await platform.request({ method: 'POST', url: '/v1/screening', token: shop, body });
    expect(response.statusCode, response.body).toBe(status);
    expect(response.json().code).toBe(code);
  });

  it('asks a department for its purpose, and refuses callers other than platforms and departments', async () => {
    const noPurpose = await platform.request({
      method: 'POST',
      url: '/v1/screening',
      token: courtOfficer,
      body: { items: [{ name: trader.name }] },
    });
    expect(noPurpose.json().code).toBe('purpose_required');
    const agency = await platform.token('agency', { org: uscc() });
    const refused = await platform.request({
      method: 'POST',
      url: '/v1/screening',
      token: agency,
      body: { items: [{ name: trader.name }] },
    });
    expect(refused.statusCode).toBe(403);
  });
});
