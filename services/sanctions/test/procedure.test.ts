import type { ListEntryView } from '@credit/schema';
import { company, defineRule, expectPaginatesToEnd, person, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, sanctionsPlatform } from './helpers.ts';

let platform: TestPlatform;
let a: Actors;
const june1 = new Date('2026-06-01T02:00:00Z');

beforeAll(async () => {
  platform = await sanctionsPlatform();
  platform.setNow(june1);
  a = await actors(platform, ['dishonest_judgement_debtor', 'administrative_penalty']);
  await defineRule(platform, a.admin, {
    code: 'court-dishonest-debtors',
    name: '失信被执行人（组织）',
    kind: 'black',
    domain: 'courts',
    subjectKinds: ['legal_person', 'unincorporated_org'],
    identifyingDepartment: 'zb-court',
    condition: { type: 'records', match: { entries: ['dishonest_judgement_debtor'] }, minCount: 1 },
    validityMonths: 24,
    objectionWindowWorkingDays: 10,
    linkRelatedPersons: true,
  });
});
afterAll(async () => platform?.close());

async function entriesOf(subjectId: string): Promise<ListEntryView[]> {
  const token = await platform.token('subject', { subject: subjectId });
  const response = await platform.request({ url: `/v1/subjects/${subjectId}/list-entries`, token });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items;
}

/** The one entry about a subject (fails loudly when there is not exactly one). */
async function single(subjectId: string): Promise<ListEntryView> {
  const entries = await entriesOf(subjectId);
  expect(entries).toHaveLength(1);
  return entries[0] as ListEntryView;
}

const check = (subject: { kind: string; id: string }, action: string) =>
  platform.request({
    method: 'POST',
    url: '/v1/checks',
    token: a.court,
    body: { subject: subject.id, action, purpose: '招标资格审查' },
  });

describe('the identification procedure', () => {
  it('turns a pushed record into a notice, waits the objection window, publishes, links the legal representative, answers checks, and exits on withdrawal', async () => {
    const org = company();
    const representative = person();
    const basis = record('dishonest_judgement_debtor', org, {
      relatedPersons: [{ role: 'legal_representative', id: representative.id, name: representative.name }],
    });
    const pushed = await push(platform, a.provider, basis);
    await platform.drainConsumers();

    const notice = await single(org.id);
    expect(notice).toMatchObject({
      status: 'noticed',
      listKind: 'black',
      domain: 'courts',
      identifyingDepartment: 'zb-court',
      basis: [{ recordId: pushed.id, version: 1 }],
      // Monday June 1 + 10 working days → the end of Monday June 15, Asia/Shanghai.
      objectionUntil: '2026-06-15T15:59:59.999Z',
    });
    expect(notice.history.map((h) => h.status)).toEqual(['noticed']);
    const { id } = notice;

    const decide = (
      token: string,
      body: Record<string, unknown> = { decision: 'publish', note: '经审查予以认定' },
    ) => platform.request({ method: 'POST', url: `/v1/list-entries/${id}/decision`, token, body });
    const early = await decide(a.court);
    expect(early.json()).toMatchObject({
      status: 409,
      code: 'objection_window_open',
      objectionUntil: '2026-06-15T15:59:59.999Z',
    });

    platform.setNow(new Date('2026-06-16T01:00:00Z'));
    const otherDepartment = await platform.token('government', { org: 'zb-tax' });
    expect((await decide(otherDepartment)).json().code).toBe('not_identifying_department');
    const published = await decide(a.court);
    expect(published.statusCode, published.body).toBe(200);
    expect(published.json()).toMatchObject({
      status: 'published',
      validFrom: '2026-06-16T01:00:00.000Z',
      validUntil: '2028-06-16T01:00:00.000Z',
    });
    expect(published.json().measures.map((m: { code: string }) => m.code)).toEqual(
      expect.arrayContaining([
        'restrict_public_resource_trading',
        'restrict_fiscal_funding',
        'restrict_high_consumption',
      ]),
    );
    expect((await decide(a.court)).json().code).toBe('invalid_state');

    const linked = await single(representative.id);
    expect(linked).toMatchObject({
      status: 'published',
      parentEntryId: id,
      relatedRole: 'legal_representative',
      subject: { kind: 'natural_person', id: representative.id },
    });
    expect(linked.measures.map((m) => m.code)).toContain('bar_legal_representative');

    const tender = (await check(org, 'public_tender')).json();
    expect(tender).toMatchObject({
      decision: 'deny',
      action: 'public_tender',
      entries: [{ id, listKind: 'black' }],
      checkId: expect.stringMatching(/^chk_/),
    });
    expect(tender.measures[0]).toMatchObject({
      code: 'restrict_public_resource_trading',
      effect: 'deny',
      legalBasis: expect.stringContaining('公共信用信息管理暂行办法'),
    });
    expect((await check(org, 'licence_application')).json().decision).toBe('restrict');
    expect((await check(representative, 'serve_as_legal_rep')).json().decision).toBe('deny');
    expect((await check(company(), 'public_tender')).json()).toMatchObject({
      decision: 'allow',
      entries: [],
      measures: [],
    });
    const feedback = await platform.request({
      method: 'POST',
      url: `/v1/checks/${tender.checkId}/feedback`,
      token: a.court,
      body: { outcome: 'applied', note: '已取消投标资格' },
    });
    expect(feedback.statusCode).toBe(201);
    expect(feedback.json()).toMatchObject({ checkId: tender.checkId, seq: 1, outcome: 'applied' });
    const further = await platform.request({
      method: 'POST',
      url: `/v1/checks/${tender.checkId}/feedback`,
      token: a.court,
      body: { outcome: 'applied', note: '已通知招标人' },
    });
    expect(further.json()).toMatchObject({ checkId: tender.checkId, seq: 2 });

    await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${basis.sourceId}`,
      token: a.provider,
      body: { reason: '法院已撤销失信决定', reasonCode: 'court_removed' },
    });
    await platform.drainConsumers();
    const ended = await single(org.id);
    expect(ended).toMatchObject({ status: 'exited', endReason: 'basis_changed' });
    expect(ended.history.map((h) => h.status)).toEqual(['noticed', 'published', 'exited']);
    expect((await entriesOf(representative.id))[0]).toMatchObject({ status: 'exited' });
    expect((await check(org, 'public_tender')).json().decision).toBe('allow');
  });

  it('refuses a check without a purpose as every route does: 422 purpose_required', async () => {
    const org = company();
    for (const purpose of [undefined, '   ']) {
      const refused = await platform.request({
        method: 'POST',
        url: '/v1/checks',
        token: a.court,
        body: { subject: org.id, action: 'public_tender', purpose },
      });
      expect(refused.json()).toMatchObject({
        status: 422,
        code: 'purpose_required',
        errors: [{ path: 'purpose', code: 'purpose_required' }],
      });
    }
  });

  it('lets the department reject a proposal, and does not propose the same basis again', async () => {
    const org = company();
    await push(platform, a.provider, record('dishonest_judgement_debtor', org));
    await platform.drainConsumers();
    const notice = await single(org.id);
    platform.setNow(new Date('2026-07-01T02:00:00Z'));
    const rejected = await platform.request({
      method: 'POST',
      url: `/v1/list-entries/${notice.id}/decision`,
      token: a.court,
      body: { decision: 'reject', note: '已履行完毕' },
    });
    expect(rejected.json()).toMatchObject({ status: 'rejected' });
    const summary = (
      await platform.request({ method: 'POST', url: '/v1/evaluations', token: a.admin })
    ).json();
    expect(summary.subjects).toBeGreaterThan(0);
    expect(await entriesOf(org.id)).toHaveLength(1);
    platform.setNow(june1);
  });

  it('ends a published entry when its validity is over (the daily pass)', async () => {
    platform.setNow(june1);
    const org = company();
    await push(platform, a.provider, record('dishonest_judgement_debtor', org));
    await platform.drainConsumers();
    const notice = await single(org.id);
    platform.setNow(new Date('2026-06-20T02:00:00Z'));
    await platform.request({
      method: 'POST',
      url: `/v1/list-entries/${notice.id}/decision`,
      token: a.court,
      body: { decision: 'publish', note: '认定', validUntil: '2026-08-31' },
    });
    platform.setNow(new Date('2026-09-01T02:00:00Z'));
    const summary = (
      await platform.request({ method: 'POST', url: '/v1/evaluations', token: a.admin })
    ).json();
    expect(summary.expired).toBeGreaterThanOrEqual(1);
    expect((await entriesOf(org.id))[0]).toMatchObject({ status: 'exited', endReason: 'validity_ended' });
    platform.setNow(june1);
  });

  it('pages a department’s entries and a subject’s entries to the end, newest first', async () => {
    // Two more rules on the same records: each pushed record now raises three notices.
    for (const code of ['court-debtors-watch-a', 'court-debtors-watch-b'])
      await defineRule(platform, a.admin, {
        code,
        name: '失信被执行人重点关注',
        kind: 'watch',
        domain: 'courts',
        subjectKinds: ['legal_person'],
        identifyingDepartment: 'zb-court',
        condition: { type: 'records', match: { entries: ['dishonest_judgement_debtor'] }, minCount: 1 },
        validityMonths: 12,
        objectionWindowWorkingDays: 10,
      });
    const orgs = [company(), company()];
    for (const org of orgs) await push(platform, a.provider, record('dishonest_judgement_debtor', org));
    await platform.drainConsumers();

    const ids = (items: { id: string }[]) => items.map((entry) => entry.id);
    const noticed = await platform.request({
      url: '/v1/list-entries?status=noticed&limit=500',
      token: a.court,
    });
    const expected = ids(noticed.json().items);
    expect(expected.length).toBeGreaterThanOrEqual(6);
    expect(expected).toEqual([...expected].sort().reverse());
    await expectPaginatesToEnd(platform, {
      url: '/v1/list-entries?status=noticed',
      token: a.court,
      limit: 4,
      idOf: (entry: { id: string }) => entry.id,
      expected,
      ordered: true,
      // A notice raised during the walk is newer than every page already read: it shows on none.
      betweenPages: async (page) => {
        if (page !== 1) return;
        await push(platform, a.provider, record('dishonest_judgement_debtor', company()));
        await platform.drainConsumers();
      },
    });

    const own = await platform.token('subject', { subject: orgs[0]?.id as string });
    const first = (await entriesOf(orgs[0]?.id as string)) as { id: string }[];
    expect(first).toHaveLength(3);
    await expectPaginatesToEnd(platform, {
      url: `/v1/subjects/${orgs[0]?.id}/list-entries`,
      token: own,
      limit: 2,
      idOf: (entry: { id: string }) => entry.id,
      expected: ids(first),
      ordered: true,
    });
  });
});
