import type { ListEntryView } from '@credit/schema';
import { company, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, repairPlatform } from './helpers.ts';

/**
 * The list procedure at the year end: with 2027 not in the calendar, an objection window of 10
 * working days from late December cannot be computed. The entry exists, awaiting the calendar,
 * instead of the evaluation answering only a count; it is noticed once 2027 is loaded.
 */
let platform: TestPlatform;
let a: Actors;
let court: string;
const at = (iso: string) => platform.setNow(new Date(iso));

beforeAll(async () => {
  // Friday 2026-12-18. The repair service is where the credit office loads a calendar year.
  platform = await repairPlatform({ now: new Date('2026-12-18T02:00:00Z') });
  a = await actors(platform, ['dishonest_judgement_debtor']);
  court = await platform.token('government', { org: 'zb-court' });
});
afterAll(async () => platform?.close());

async function entryOf(subjectId: string): Promise<ListEntryView> {
  const token = await platform.token('subject', { subject: subjectId });
  const items = (await platform.request({ url: `/v1/subjects/${subjectId}/list-entries`, token })).json()
    .items as ListEntryView[];
  expect(items).toHaveLength(1);
  return items[0] as ListEntryView;
}
const metrics = async () => (await platform.request({ url: '/metrics' })).body;

describe('an objection window that ends in a year not loaded', () => {
  it('creates the entry awaiting_calendar, visible to the credit office and in /metrics, and notices it when the year is loaded', async () => {
    const [kept, withdrawn] = [company(), company()];
    await push(platform, a.provider, record('dishonest_judgement_debtor', kept));
    const gone = record('dishonest_judgement_debtor', withdrawn);
    await push(platform, a.provider, gone);
    await platform.drainConsumers();
    const rule = await platform.request({
      method: 'POST',
      url: '/v1/rules',
      token: a.admin,
      body: {
        definition: {
          code: 'court-debtors-year-end',
          name: '失信被执行人（组织）',
          kind: 'black',
          domain: 'courts',
          subjectKinds: ['legal_person'],
          identifyingDepartment: 'zb-court',
          condition: { type: 'records', match: { entries: ['dishonest_judgement_debtor'] }, minCount: 1 },
          objectionWindowWorkingDays: 10,
        },
      },
    });
    expect(rule.statusCode, rule.body).toBe(201);

    // Nine working days are left in 2026, the tenth is in 2027.
    const pass = await platform.request({ method: 'POST', url: '/v1/evaluations', token: a.admin });
    expect(pass.statusCode, pass.body).toBe(200);
    expect(pass.json()).toMatchObject({ awaitingCalendar: 2, proposed: 0 });
    await platform.drainConsumers();

    const waiting = await entryOf(kept.id);
    expect(waiting).toMatchObject({ status: 'awaiting_calendar', objectionUntil: null });
    const listed = (
      await platform.request({ url: '/v1/list-entries?status=awaiting_calendar', token: a.admin })
    ).json().items as ListEntryView[];
    expect(listed.map((e) => e.id).sort()).toEqual([waiting.id, (await entryOf(withdrawn.id)).id].sort());
    expect(await metrics()).toMatch(/calendar_awaiting_deadlines\{kind="list_entry"\} 2/);
    // Nothing to decide before the subject has been told.
    const early = await platform.request({
      method: 'POST',
      url: `/v1/list-entries/${waiting.id}/decision`,
      token: court,
      body: { decision: 'publish', note: '认定' },
    });
    expect(early.json()).toMatchObject({ status: 409, code: 'invalid_state' });
    // A second pass does not create it again.
    expect(
      (await platform.request({ method: 'POST', url: '/v1/evaluations', token: a.admin })).json(),
    ).toMatchObject({ awaitingCalendar: 0 });

    // A waiting entry whose basis goes away is cancelled like any proposal.
    await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${gone.sourceId}`,
      token: a.provider,
      body: { reason: '法院已撤销失信决定', reasonCode: 'court_removed' },
    });
    await platform.drainConsumers();
    expect(await entryOf(withdrawn.id)).toMatchObject({ status: 'cancelled' });

    // Monday 2026-12-21 the credit office loads 2027.
    at('2026-12-21T02:00:00Z');
    const load = await platform.request({
      method: 'PUT',
      url: '/v1/calendar/2027',
      token: a.admin,
      body: { holidays: ['2027-01-01'], workdays: [] },
    });
    expect(load.statusCode, load.body).toBe(200);
    await platform.drainConsumers();

    const noticed = await entryOf(kept.id);
    // Counted from the notice: Dec 22–25, 28–31, (Jan 1 off), Jan 4, 5.
    expect(noticed).toMatchObject({ status: 'noticed', objectionUntil: '2027-01-05T15:59:59.999Z' });
    expect(noticed.history.map((h) => h.status)).toEqual(['awaiting_calendar', 'noticed']);
    const told = (
      await platform.request({
        url: `/v1/subjects/${kept.id}/notices`,
        token: await platform.token('subject', { subject: kept.id }),
      })
    ).json().items;
    expect(told.map((n: { referenceId: string }) => n.referenceId)).toContain(noticed.id);
    expect(await metrics()).toMatch(/calendar_awaiting_deadlines\{kind="list_entry"\} 0/);
  });
});
