import { company, expectPaginatesToEnd, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, repairPlatform } from './helpers.ts';

/**
 * The year end does not stall in silence: with 2027 not in the calendar (the holiday package
 * covers 2026 at most), deadlines ending in 2027 wait visibly and are computed when it is loaded.
 */
let platform: TestPlatform;
let a: Actors;
const at = (iso: string) => platform.setNow(new Date(iso));

beforeAll(async () => {
  // 23:00 on Saturday 31 October 2026 in Shanghai.
  platform = await repairPlatform({ now: new Date('2026-10-31T15:00:00Z') });
  a = await actors(platform, ['administrative_penalty']);
});
afterAll(async () => platform?.close());

interface Deadline {
  kind: string;
  dueAt: string | null;
  awaitingCalendar: number | null;
}
const deadline = (view: { deadlines: Deadline[] }, kind: string) =>
  view.deadlines.find((d) => d.kind === kind);
const officeNotices = async () =>
  (await platform.request({ url: '/v1/notices', token: a.admin }))
    .json()
    .items.filter((n: { kind: string }) => n.kind === 'calendar_year_missing');
const metrics = async () => (await platform.request({ url: '/metrics' })).body;

describe('a calendar year that is not loaded', () => {
  it('is announced from 1 November: a /ready warning that keeps it 200, a metric, and one notice to the credit office', async () => {
    const before = await platform.request({ url: '/ready' });
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json().checks.warnings).toEqual([]);
    expect(await metrics()).not.toMatch(/calendar_year_missing\{year="2027"\} 1/);
    expect(await officeNotices()).toEqual([]);
    expect((await platform.request({ url: '/v1/calendar' })).json().missingYears).toEqual([]);

    at('2026-10-31T16:30:00Z'); // 00:30 on 1 November in Shanghai
    const ready = await platform.request({ url: '/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json().checks.warnings).toEqual([
      expect.objectContaining({ code: 'calendar_year_missing', detail: expect.stringContaining('2027') }),
    ]);
    expect(await metrics()).toMatch(/calendar_year_missing\{year="2027"\} 1/);
    expect((await platform.request({ url: '/v1/calendar' })).json().missingYears).toEqual([2027]);

    // The watch runs at start (and on its schedule): the office is told once, however often it runs.
    await platform.restart();
    await platform.restart();
    const told = await officeNotices();
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ referenceId: 'calendar-2027', detail: { year: 2027 } });
  });

  it('keeps the deadlines that end in it awaiting the calendar, visibly, and computes them when it is loaded', async () => {
    at('2026-11-02T02:00:00Z');
    const [objector, applicant] = [company(), company()];
    const penalty = (org: typeof objector) =>
      push(platform, a.provider, record('administrative_penalty', org, { occurredAt: '2026-07-01' }));
    const { id: objected } = await penalty(objector);
    const { id: repaired } = await penalty(applicant);
    await platform.drainConsumers();

    // Thursday 2026-12-10: the 30th day falls in 2027.
    at('2026-12-10T02:00:00Z');
    const filed = await platform.request({
      method: 'POST',
      url: '/v1/objections',
      token: await platform.token('subject', { subject: objector.id }),
      body: { target: { type: 'record', id: objected }, reason: '处罚已撤销' },
    });
    expect(filed.statusCode, filed.body).toBe(201);
    const objection = filed.json();
    expect(objection).toMatchObject({ dueAt: null, awaitingCalendar: 2027 });
    expect(deadline(objection, 'answer')).toMatchObject({ dueAt: null, awaitingCalendar: 2027 });

    // Tuesday 2026-12-22: acceptance by Dec 25 is computable, the result (10 working days) is not.
    at('2026-12-22T02:00:00Z');
    const applied = await platform.request({
      method: 'POST',
      url: '/v1/repairs',
      token: await platform.token('subject', { subject: applicant.id }),
      body: {
        target: { type: 'record', id: repaired },
        obligationPerformed: true,
        evidence: [{ description: '罚款已缴纳' }],
        commitment: '本单位承诺今后依法诚信经营，自觉接受社会监督。',
      },
    });
    expect(applied.statusCode, applied.body).toBe(201);
    const repair = applied.json();
    expect(deadline(repair, 'acceptance')).toMatchObject({
      dueAt: '2026-12-25T15:59:59.999Z',
      awaitingCalendar: null,
    });
    expect(deadline(repair, 'result')).toMatchObject({ dueAt: null, awaitingCalendar: 2027 });
    expect(repair.awaitingCalendar).toBe(2027);

    // A decision on Dec 28 sets a 7-working-day notification deadline: it waits too.
    at('2026-12-28T02:00:00Z');
    const rejected = await platform.request({
      method: 'POST',
      url: `/v1/objections/${objection.id}/decision`,
      token: a.provider,
      body: { outcome: 'rejected', note: '经核查，处罚有效' },
    });
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(deadline(rejected.json(), 'notification')).toMatchObject({ dueAt: null, awaitingCalendar: 2027 });

    // The credit office finds them, and /metrics counts them.
    const waitingObjections = (
      await platform.request({ url: '/v1/objections?awaitingCalendar=true', token: a.admin })
    ).json().items;
    expect(waitingObjections.map((o: { id: string }) => o.id)).toEqual([objection.id]);
    const waitingRepairs = (
      await platform.request({ url: '/v1/repairs?awaitingCalendar=true', token: a.admin })
    ).json().items;
    expect(waitingRepairs.map((r: { id: string }) => r.id)).toEqual([repair.id]);
    expect(await metrics()).toMatch(/calendar_awaiting_deadlines\{kind="objection"\} 1/);
    expect(await metrics()).toMatch(/calendar_awaiting_deadlines\{kind="repair"\} 1/);

    // The office loads 2027 from the State Council notice (here: New Year's Day only).
    const load = await platform.request({
      method: 'PUT',
      url: '/v1/calendar/2027',
      token: a.admin,
      body: { holidays: ['2027-01-01'], workdays: [] },
    });
    expect(load.statusCode, load.body).toBe(200);
    expect(load.json().resumed).toBe(3);

    const answered = (
      await platform.request({ url: `/v1/objections/${objection.id}`, token: a.admin })
    ).json();
    // Dec 10 + 30 days is Saturday 2027-01-09: the answer was due Monday Jan 11.
    expect(answered).toMatchObject({ dueAt: '2027-01-11T15:59:59.999Z', awaitingCalendar: null });
    // Dec 29, 30, 31, (Jan 1 off), Jan 4, 5, 6, 7.
    expect(deadline(answered, 'notification')).toMatchObject({
      dueAt: '2027-01-07T15:59:59.999Z',
      awaitingCalendar: null,
    });
    expect(answered.history.map((h: { status: string }) => h.status)).toContain('deadline_computed');
    const decided = (await platform.request({ url: `/v1/repairs/${repair.id}`, token: a.admin })).json();
    // Dec 23, 24, 25, 28, 29, 30, 31, Jan 4, 5, 6.
    expect(deadline(decided, 'result')).toMatchObject({ dueAt: '2027-01-06T15:59:59.999Z' });
    expect(decided.awaitingCalendar).toBeNull();

    const notices = (
      await platform.request({
        url: `/v1/subjects/${applicant.id}/notices`,
        token: await platform.token('subject', { subject: applicant.id }),
      })
    ).json().items;
    expect(notices.map((n: { title: string }) => n.title)).toContain('result deadline computed');
    expect(await metrics()).toMatch(/calendar_awaiting_deadlines\{kind="repair"\} 0/);
    expect(
      (await platform.request({ url: '/v1/objections?awaitingCalendar=true', token: a.admin })).json().items,
    ).toEqual([]);
    expect((await platform.request({ url: '/ready' })).json().checks.warnings).toEqual([]);
  });

  it('lists the covered years a page at a time, the loaded year after the package’s', async () => {
    const whole = (await platform.request({ url: '/v1/calendar?limit=500' })).json();
    const years = whole.items.map((item: { year: number }) => item.year);
    expect(years.slice(-2)).toEqual([2026, 2027]);
    expect([...years].sort((x, y) => x - y)).toEqual(years);
    expect(whole.next).toBeUndefined();
    await expectPaginatesToEnd(platform, {
      url: '/v1/calendar',
      token: '',
      limit: 1,
      idOf: (item: { year: number }) => String(item.year),
      expected: years.map(String),
      ordered: true,
    });
    const forged = await platform.request({ url: '/v1/calendar?cursor=bm9wZQ' });
    expect(forged.statusCode).toBe(400);
    expect(forged.json()).toMatchObject({ code: 'bad_request', errors: [{ path: 'query.cursor' }] });
  });
});
