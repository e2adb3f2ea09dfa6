import type { ListEntryView } from '@credit/schema';
import { company, debtorRule, defineRule, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, sanctionsPlatform } from './helpers.ts';

let platform: TestPlatform;
let a: Actors;

beforeAll(async () => {
  platform = await sanctionsPlatform();
  platform.setNow(new Date('2026-06-01T02:00:00Z'));
  a = await actors(platform, ['honour_award', 'administrative_penalty', 'dishonest_judgement_debtor']);
});
afterAll(async () => platform?.close());

async function entriesOf(subjectId: string): Promise<ListEntryView[]> {
  const token = await platform.token('subject', { subject: subjectId });
  const response = await platform.request({ url: `/v1/subjects/${subjectId}/list-entries`, token });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items;
}

const check = async (subject: { kind: string; id: string }, action = 'licence_application') =>
  (
    await platform.request({
      method: 'POST',
      url: '/v1/checks',
      token: a.court,
      body: { subject: subject.id, action, purpose: '行政许可审查' },
    })
  ).json();

const evaluate = () => platform.request({ method: 'POST', url: '/v1/evaluations', token: a.admin });

/** An honoured company on a published red list of `rule`, answered `priority` before anything else. */
async function redListed(rule: string) {
  const subject = company();
  await push(platform, a.provider, record('honour_award', subject));
  await platform.drainConsumers();
  const [proposal] = (await entriesOf(subject.id)).filter((e) => e.rule.code === rule);
  expect(proposal).toMatchObject({ listKind: 'red', status: 'proposed' });
  const published = await platform.request({
    method: 'POST',
    url: `/v1/list-entries/${proposal?.id}/decision`,
    token: a.admin,
    body: { decision: 'publish', note: '诚信典型' },
  });
  expect(published.json().status).toBe('published');
  const answer = await check(subject);
  expect(answer.decision).toBe('priority');
  expect(answer.measures.map((m: { code: string }) => m.code).sort()).toEqual([
    'green_channel',
    'tolerance_acceptance',
  ]);
  return { subject, entryId: proposal?.id as string };
}

describe('red lists end with new dishonesty', () => {
  beforeAll(async () => {
    await defineRule(platform, a.admin, {
      code: 'clean-honoured',
      name: '守信联合激励对象',
      kind: 'red',
      domain: 'general',
      subjectKinds: ['legal_person'],
      identifyingDepartment: 'credit-office',
      condition: {
        type: 'all',
        conditions: [
          { type: 'records', match: { entries: ['honour_award'] }, minCount: 1, withinMonths: 36 },
          { type: 'absence', match: { classes: ['dishonesty', 'ecommerce_dishonesty'] }, withinMonths: 36 },
        ],
      },
    });
  });

  it('exits a published red entry when a penalty arrives, and the check grants no incentive', async () => {
    const { subject, entryId } = await redListed('clean-honoured');
    const penalty = record('administrative_penalty', subject, { occurredAt: '2026-05-28' });
    await push(platform, a.provider, penalty);
    await platform.drainConsumers();
    expect((await evaluate()).statusCode).toBe(200);
    await platform.drainConsumers();

    const red = (await entriesOf(subject.id)).find((e) => e.id === entryId);
    expect(red).toMatchObject({ status: 'exited', endReason: 'rule_no_longer_met' });
    expect(red?.history.map((h) => h.status)).toEqual(['proposed', 'published', 'exited']);
    const answer = await check(subject);
    expect(answer).toMatchObject({ decision: 'allow', measures: [], entries: [] });

    // The penalty withdrawn (it was pushed in error), the rule holds again on the same honour: the
    // subject is proposed anew for a fresh decision rather than silently kept off the list.
    await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${penalty.sourceId}`,
      token: a.provider,
      body: { reason: '处罚决定已撤销', reasonCode: 'decision_revoked' },
    });
    await platform.drainConsumers();
    const reproposed = (await entriesOf(subject.id)).filter(
      (e) => e.rule.code === 'clean-honoured' && e.status === 'proposed',
    );
    expect(reproposed).toHaveLength(1);
    expect((await check(subject)).decision).toBe('allow');
  });
});

describe('the check never grants an incentive to a subject with current dishonesty', () => {
  beforeAll(async () => {
    // A narrow red rule (the e-commerce red list looks at e-commerce dishonesty only): a general
    // penalty does not break it, so only the check's own guard stands between it and an incentive.
    await defineRule(platform, a.admin, {
      code: 'ecommerce-clean-honoured',
      name: '电子商务守信主体',
      kind: 'red',
      domain: 'ecommerce',
      subjectKinds: ['legal_person'],
      identifyingDepartment: 'credit-office',
      condition: {
        type: 'all',
        conditions: [
          { type: 'records', match: { entries: ['honour_award'] }, minCount: 1, withinMonths: 36 },
          { type: 'absence', match: { classes: ['ecommerce_dishonesty'] }, withinMonths: 36 },
        ],
      },
    });
    await defineRule(
      platform,
      a.admin,
      debtorRule({ code: 'court-debtors-black', objectionWindowWorkingDays: 10 }),
    );
  });

  it('withholds incentives while a dishonesty record the red rule does not look at is current', async () => {
    const { subject, entryId } = await redListed('ecommerce-clean-honoured');
    await push(platform, a.provider, record('administrative_penalty', subject, { occurredAt: '2026-05-28' }));
    await platform.drainConsumers();
    await evaluate();
    await platform.drainConsumers();
    // The rule still holds, so the entry stands…
    expect((await entriesOf(subject.id)).find((e) => e.id === entryId)).toMatchObject({
      status: 'published',
    });
    // …but no incentive is granted while the penalty is current.
    expect(await check(subject)).toMatchObject({ decision: 'allow', measures: [], entries: [] });
    expect(await check(subject, 'platform_ranking')).toMatchObject({ decision: 'allow', measures: [] });

    // Past the penalty's display period (a general item: one year) it no longer counts.
    platform.setNow(new Date('2027-06-01T02:00:00Z'));
    try {
      expect((await check(subject)).decision).toBe('priority');
    } finally {
      platform.setNow(new Date('2026-06-01T02:00:00Z'));
    }
  });

  it('withholds incentives from a subject on a black list, and keeps its sanctions', async () => {
    const { subject } = await redListed('ecommerce-clean-honoured');
    await push(platform, a.provider, record('dishonest_judgement_debtor', subject));
    await platform.drainConsumers();
    const notice = (await entriesOf(subject.id)).find((e) => e.rule.code === 'court-debtors-black');
    expect(notice?.status).toBe('noticed');
    // Noticed only: nothing stands yet but the debtor record itself is current dishonesty.
    expect((await check(subject)).measures).toEqual([]);
    expect(await check(subject, 'public_tender')).toMatchObject({ decision: 'allow', measures: [] });

    // Published after its objection window: the sanction applies, the red incentive does not.
    platform.setNow(new Date('2026-06-20T02:00:00Z'));
    try {
      const decided = await platform.request({
        method: 'POST',
        url: `/v1/list-entries/${notice?.id}/decision`,
        token: a.court,
        body: { decision: 'publish', note: '失信被执行人' },
      });
      expect(decided.json().status).toBe('published');
      const tender = await check(subject, 'public_tender');
      expect(tender.decision).toBe('deny');
      expect(tender.measures.map((m: { code: string }) => m.code)).toEqual([
        'restrict_public_resource_trading',
      ]);
      expect(tender.entries.map((e: { listKind: string }) => e.listKind)).toEqual(['black']);
    } finally {
      platform.setNow(new Date('2026-06-01T02:00:00Z'));
    }
  });
});
