import { company, expectPaginatesToEnd, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, repairPlatform } from './helpers.ts';

let platform: TestPlatform;
let a: Actors;
const at = (iso: string) => platform.setNow(new Date(iso));

beforeAll(async () => {
  platform = await repairPlatform();
  at('2026-01-20T02:00:00Z');
  a = await actors(platform, ['administrative_penalty', 'org_licence']);
});
afterAll(async () => platform?.close());

async function object(subjectId: string, recordId: string) {
  const token = await platform.token('subject', { subject: subjectId });
  return platform.request({
    method: 'POST',
    url: '/v1/objections',
    token,
    body: { target: { type: 'record', id: recordId }, reason: '处罚决定已被复议撤销' },
  });
}

const decide = (id: string, outcome: 'upheld' | 'rejected', token = a.provider) =>
  platform.request({
    method: 'POST',
    url: `/v1/objections/${id}/decision`,
    token,
    body: { outcome, note: '经核查' },
  });
const admit = (id: string, token = a.provider) =>
  platform.request({
    method: 'POST',
    url: `/v1/objections/${id}/admission`,
    token,
    body: { admissible: true, note: '受理' },
  });

describe('objections (异议)', () => {
  it('answers within 30 days of filing; an upheld one is corrected within 3 working days across the Spring Festival', async () => {
    const org = company();
    const { id: recordId } = await push(platform, a.provider, record('administrative_penalty', org));
    await platform.drainConsumers();
    at('2026-01-31T02:00:00Z');
    const filed = await object(org.id, recordId);
    expect(filed.statusCode, filed.body).toBe(201);
    const objection = filed.json();
    expect(objection).toMatchObject({
      status: 'submitted',
      responsibleDepartment: a.providerCode,
      dueAt: '2026-03-02T15:59:59.999Z',
    });

    // The record is marked disputed at once, and the subject's report shows it.
    await platform.drainConsumers();
    const own = await platform.token('subject', { subject: org.id });
    const report = (await platform.request({ url: `/v1/subjects/${org.id}/report`, token: own })).json()
      .report;
    expect(report.items.find((i: { recordId: string }) => i.recordId === recordId).marks.disputed).toBe(true);

    expect((await admit(objection.id)).json().status).toBe('under_review');
    at('2026-02-13T02:00:00Z'); // Friday before the holiday; Saturday Feb 14 is a make-up workday
    const upheld = (await decide(objection.id, 'upheld')).json();
    expect(upheld).toMatchObject({ status: 'upheld', outcome: 'upheld' });
    expect(upheld.deadlines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'answer', met: true }),
        expect.objectContaining({ kind: 'correction', dueAt: '2026-02-25T15:59:59.999Z', met: false }),
      ]),
    );
    expect(upheld.history.map((h: { status: string }) => h.status)).toEqual([
      'submitted',
      'accepted',
      'under_review',
      'upheld',
    ]);
  });

  it('moves a 30-day answer that ends on a rest day to the next working day (民法典 Art. 203)', async () => {
    at('2026-01-12T02:00:00Z');
    const [early, late] = [company(), company()];
    const { id: earlyRecord } = await push(platform, a.provider, record('administrative_penalty', early));
    const { id: lateRecord } = await push(platform, a.provider, record('administrative_penalty', late));
    await platform.drainConsumers();
    // Friday 2026-01-16: the 30th day is Sunday Feb 15, inside Feb 15–23 off: due Tuesday Feb 24.
    at('2026-01-16T02:00:00Z');
    expect((await object(early.id, earlyRecord)).json().dueAt).toBe('2026-02-24T15:59:59.999Z');
    // Thursday 2026-02-12: the 30th day is Saturday 2026-03-14, the answer is due Monday.
    at('2026-02-12T02:00:00Z');
    expect((await object(late.id, lateRecord)).json().dueAt).toBe('2026-03-16T15:59:59.999Z');
  });

  it('tells the applicant within 7 working days when rejected (National Day 2026) and lifts the mark', async () => {
    at('2026-09-20T02:00:00Z');
    const org = company();
    const { id: recordId } = await push(
      platform,
      a.provider,
      record('administrative_penalty', org, { occurredAt: '2026-09-01' }),
    );
    await platform.drainConsumers();
    const objection = (await object(org.id, recordId)).json();
    await admit(objection.id);
    at('2026-09-30T08:00:00Z');
    const rejected = (await decide(objection.id, 'rejected')).json();
    expect(rejected).toMatchObject({ status: 'closed', outcome: 'rejected' });
    expect(rejected.deadlines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'notification', dueAt: '2026-10-15T15:59:59.999Z', met: true }),
      ]),
    );

    await platform.drainConsumers();
    const own = await platform.token('subject', { subject: org.id });
    const report = (await platform.request({ url: `/v1/subjects/${org.id}/report`, token: own })).json()
      .report;
    expect(report.items.find((i: { recordId: string }) => i.recordId === recordId).marks.disputed).toBe(
      false,
    );
    const notices = (await platform.request({ url: `/v1/subjects/${org.id}/notices`, token: own })).json()
      .items;
    expect(notices.map((n: { detail: { status: string } }) => n.detail.status)).toEqual(
      expect.arrayContaining(['submitted', 'closed']),
    );
    await expectPaginatesToEnd(platform, {
      url: `/v1/subjects/${org.id}/notices`,
      token: own,
      limit: 1,
      idOf: (notice: { id: string }) => notice.id,
      expected: notices.map((notice: { id: string }) => notice.id),
      ordered: true,
    });
  });

  it('refuses an objection to someone else’s record, a second open objection, and a decision by another department', async () => {
    at('2026-03-02T02:00:00Z');
    const org = company();
    const { id: recordId } = await push(platform, a.provider, record('administrative_penalty', org));
    await platform.drainConsumers();
    expect((await object(company().id, recordId)).json()).toMatchObject({ status: 403 });
    const first = (await object(org.id, recordId)).json();
    const second = (await object(org.id, recordId)).json();
    expect(second).toMatchObject({ status: 409, code: 'already_under_objection', objectionId: first.id });
    const stranger = await platform.token('provider', { org: 'another-dept' });
    expect((await decide(first.id, 'rejected', stranger)).json()).toMatchObject({
      status: 403,
      code: 'not_responsible_department',
    });
  });

  it('lists overdue objections for the credit office', async () => {
    at('2026-04-01T02:00:00Z');
    const org = company();
    const { id: recordId } = await push(
      platform,
      a.provider,
      record('administrative_penalty', org, { occurredAt: '2026-03-20' }),
    );
    await platform.drainConsumers();
    const objection = (await object(org.id, recordId)).json();
    at('2026-05-15T02:00:00Z');
    const overdue = (await platform.request({ url: '/v1/objections?overdue=true', token: a.admin })).json()
      .items;
    expect(overdue.map((o: { id: string }) => o.id)).toContain(objection.id);
    expect(overdue.find((o: { id: string }) => o.id === objection.id).overdue).toBe(true);
  });

  it('pages the objections to answer, and the overdue ones, to the end', async () => {
    at('2026-06-01T02:00:00Z');
    for (const n of [1, 2, 3]) {
      const org = company();
      const pushed = await push(platform, a.provider, record('administrative_penalty', org));
      await platform.drainConsumers();
      expect((await object(org.id, pushed.id)).statusCode, `objection ${n}`).toBe(201);
    }
    at('2026-07-20T02:00:00Z');
    const ids = (url: string) =>
      platform
        .request({ url, token: a.admin })
        .then((r) => r.json().items.map((o: { id: string }) => o.id) as string[]);
    for (const url of ['/v1/objections', '/v1/objections?overdue=true']) {
      const expected = await ids(`${url}${url.includes('?') ? '&' : '?'}limit=500`);
      await expectPaginatesToEnd(platform, {
        url,
        token: a.admin,
        limit: 2,
        idOf: (o: { id: string }) => o.id,
        expected,
        ordered: true,
      });
    }
  });
});
