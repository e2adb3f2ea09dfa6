import type { ListEntryView } from '@credit/schema';
import { company, defineRule, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, sanctionsPlatform } from './helpers.ts';

/**
 * The daily pass evaluates only the subjects whose outcome could have changed by time alone since
 * they were last evaluated (docs/lists-and-grades.md, "The daily pass"): a listing that should end
 * or begin on a day is handled by that day's pass, and a subject with nothing due is left alone.
 */
let platform: TestPlatform;
let a: Actors;

beforeAll(async () => {
  platform = await sanctionsPlatform();
  platform.setNow(new Date('2026-06-01T02:00:00Z'));
  a = await actors(platform, ['honour_award', 'org_registration', 'administrative_penalty']);
});
afterAll(async () => platform?.close());

async function pass(at: string) {
  platform.setNow(new Date(at));
  const response = await platform.request({ method: 'POST', url: '/v1/evaluations', token: a.admin });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { subjects: number; proposed: number; cancelled: number };
}

async function entriesOf(subjectId: string, rule: string): Promise<ListEntryView[]> {
  const token = await platform.token('subject', { subject: subjectId });
  const response = await platform.request({ url: `/v1/subjects/${subjectId}/list-entries`, token });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items.filter((e: ListEntryView) => e.rule.code === rule);
}

const honourRule = {
  code: 'honoured-red',
  name: '表彰奖励激励对象',
  kind: 'red',
  domain: 'general',
  subjectKinds: ['legal_person'],
  identifyingDepartment: 'credit-office',
  condition: { type: 'records', match: { entries: ['honour_award'] }, minCount: 1 },
};

describe('the daily pass takes the subjects that are due', () => {
  // An honour shown until 2026-06-15 (36 months); a serious penalty of 2025-06-20 that leaves the
  // twelve-month absence window on 2026-06-20; a registration alone, which nothing changes by time.
  const honoured = company();
  const reformed = company();
  const quiet = company();

  beforeAll(async () => {
    await defineRule(platform, a.admin, honourRule);
    await defineRule(platform, a.admin, {
      code: 'clean-registered-red',
      name: '一年无失信的登记主体',
      kind: 'red',
      domain: 'general',
      subjectKinds: ['legal_person'],
      identifyingDepartment: 'credit-office',
      condition: {
        type: 'all',
        conditions: [
          { type: 'records', match: { entries: ['org_registration'] }, minCount: 1 },
          { type: 'absence', match: { classes: ['dishonesty'] }, withinMonths: 12 },
        ],
      },
    });
    await push(platform, a.provider, record('honour_award', honoured, { occurredAt: '2023-06-15' }));
    // The penalty goes in before the registration: the other way round, a consumer that caught
    // the registration alone would rightly propose the reformed company and cancel it a moment later.
    const penalty = record('administrative_penalty', reformed, { occurredAt: '2025-06-20' });
    await push(platform, a.provider, { ...penalty, data: { ...penalty.data, severity: 'serious' } });
    await push(platform, a.provider, record('org_registration', reformed, { occurredAt: '2020-01-01' }));
    await push(platform, a.provider, record('org_registration', quiet, { occurredAt: '2020-01-01' }));
    await platform.drainConsumers();
  });

  it('evaluates every subject once after the rules changed, then only the due ones', async () => {
    expect((await entriesOf(honoured.id, 'honoured-red'))[0]).toMatchObject({ status: 'proposed' });
    expect(await entriesOf(reformed.id, 'clean-registered-red')).toEqual([]);
    expect((await entriesOf(quiet.id, 'clean-registered-red'))[0]).toMatchObject({ status: 'proposed' });

    // The rules are new to the pass: every subject with records is evaluated once.
    expect((await pass('2026-06-01T03:00:00Z')).subjects).toBe(3);
    // Nothing of theirs changes by time on the next day.
    expect(await pass('2026-06-02T02:00:00Z')).toMatchObject({ subjects: 0, proposed: 0, cancelled: 0 });
  });

  it('ends a listing on the day its basis record’s display period ends', async () => {
    // 2026-06-14 23:00 in Shanghai: the honour is still shown.
    expect((await pass('2026-06-14T15:00:00Z')).subjects).toBe(0);
    expect((await entriesOf(honoured.id, 'honoured-red'))[0]).toMatchObject({ status: 'proposed' });
    // 2026-06-15 01:00 in Shanghai: its display period is over, the proposal ends.
    expect(await pass('2026-06-14T17:00:00Z')).toMatchObject({ subjects: 1, cancelled: 1 });
    expect((await entriesOf(honoured.id, 'honoured-red'))[0]).toMatchObject({
      status: 'cancelled',
      endReason: 'rule_no_longer_met',
    });
  });

  it('begins a listing on the day a record leaves an absence window', async () => {
    expect((await pass('2026-06-19T15:00:00Z')).subjects).toBe(0);
    expect(await entriesOf(reformed.id, 'clean-registered-red')).toEqual([]);
    expect(await pass('2026-06-19T17:00:00Z')).toMatchObject({ subjects: 1, proposed: 1 });
    expect((await entriesOf(reformed.id, 'clean-registered-red'))[0]).toMatchObject({ status: 'proposed' });
    expect((await pass('2026-06-20T17:00:00Z')).subjects).toBe(0);
  });

  it('evaluates every subject again after a rule changes', async () => {
    await defineRule(platform, a.admin, { ...honourRule, name: '表彰奖励激励对象（修订）' });
    expect((await pass('2026-06-21T17:00:00Z')).subjects).toBe(3);
    expect((await pass('2026-06-22T17:00:00Z')).subjects).toBe(0);
  });
});

describe('a window counted in months', () => {
  const honouredLate = company();

  beforeAll(async () => {
    platform.setNow(new Date('2027-02-05T02:00:00Z'));
    await defineRule(platform, a.admin, {
      ...honourRule,
      code: 'honoured-this-month-red',
      condition: { type: 'records', match: { entries: ['honour_award'] }, minCount: 1, withinMonths: 1 },
    });
    await push(platform, a.provider, record('honour_award', honouredLate, { occurredAt: '2027-01-31' }));
    await platform.drainConsumers();
    await pass('2027-02-05T03:00:00Z');
  });

  it('ends a listing when its record leaves the window, at the end of a short month too', async () => {
    // 31 January and one month: February has no 31st, so the honour counts through 28 February.
    expect((await pass('2027-02-28T15:00:00Z')).subjects).toBe(0);
    expect((await entriesOf(honouredLate.id, 'honoured-this-month-red'))[0]).toMatchObject({
      status: 'proposed',
    });
    expect(await pass('2027-02-28T16:30:00Z')).toMatchObject({ subjects: 1, cancelled: 1 });
    expect((await entriesOf(honouredLate.id, 'honoured-this-month-red'))[0]).toMatchObject({
      status: 'cancelled',
      endReason: 'rule_no_longer_met',
    });
  });

  it('reads the due subjects down the index', async () => {
    const plan = await platform.database.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT subject_key, due_at FROM sanctions.evaluation_due
       WHERE due_at <= now() AND (due_at, subject_key) > ('-infinity'::timestamptz, '\\x'::bytea)
       ORDER BY due_at, subject_key LIMIT 500`,
    );
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('evaluation_due_idx');
  });
});
