import { company, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, repairPlatform } from './helpers.ts';

/**
 * Credit commitments (信用承诺) across the platform: a commitment and its breach are public for
 * an organisation as the catalogue marks them (seeds/003: commitments are published in a standard
 * format, breaches recorded and exposed), the breach names the commitment it breaks, and the
 * identification notice that a breach list sends the subject states the objection deadline.
 */
let platform: TestPlatform;
let a: Actors;

beforeAll(async () => {
  platform = await repairPlatform();
  platform.setNow(new Date('2026-06-01T02:00:00Z'));
  a = await actors(platform, ['credit_commitment', 'credit_commitment_breach']);
  const rule = await platform.request({
    method: 'POST',
    url: '/v1/rules',
    token: a.admin,
    body: {
      definition: {
        code: 'commitment-breakers',
        name: '违背信用承诺重点关注对象',
        kind: 'watch',
        domain: 'general',
        subjectKinds: ['legal_person'],
        identifyingDepartment: 'credit-office',
        condition: { type: 'records', match: { entries: ['credit_commitment_breach'] }, minCount: 1 },
        objectionWindowWorkingDays: 10,
      },
    },
  });
  expect(rule.statusCode, rule.body).toBe(201);
});
afterAll(async () => platform?.close());

describe('credit commitments and their breaches', () => {
  it('publishes the commitment and the breach naming it, and notices the subject with the objection deadline', async () => {
    const org = company();
    const commitment = record('credit_commitment', org, { occurredAt: '2026-02-01' });
    const committed = await push(platform, a.provider, {
      ...commitment,
      data: { ...commitment.data, committedOn: '2026-02-01', validUntil: '2026-12-31' },
    });
    const breach = record('credit_commitment_breach', org, { occurredAt: '2026-05-29' });
    const broken = await push(platform, a.provider, {
      ...breach,
      data: { ...breach.data, commitmentRef: commitment.sourceId, decidedOn: '2026-05-29' },
    });
    await platform.drainConsumers();

    const disclosed = (await platform.request({ url: `/v1/public/subjects/${org.id}` })).json();
    const shown = new Map(
      disclosed.items.map((i: { recordId: string; data: Record<string, unknown> }) => [i.recordId, i.data]),
    );
    expect(shown.get(committed.id)).toMatchObject({ matter: commitment.data.matter });
    expect(shown.get(broken.id)).toMatchObject({ commitmentRef: commitment.sourceId });

    const own = await platform.token('subject', { subject: org.id });
    const [entry] = (
      await platform.request({ url: `/v1/subjects/${org.id}/list-entries`, token: own })
    ).json().items;
    // Monday 1 June 2026 + 10 working days: the end of Monday 15 June, Asia/Shanghai.
    expect(entry).toMatchObject({ status: 'noticed', objectionUntil: '2026-06-15T15:59:59.999Z' });
    const notices = (await platform.request({ url: `/v1/subjects/${org.id}/notices`, token: own })).json()
      .items;
    const notice = notices.find(
      (n: { kind: string; detail: { status: string } }) =>
        n.kind === 'list_entry' && n.detail.status === 'noticed',
    );
    expect(notice).toMatchObject({
      referenceId: entry.id,
      title: expect.stringContaining('2026年6月15日'),
      detail: { objectionUntil: '2026-06-15T15:59:59.999Z', objectionDeadline: '2026-06-15' },
    });
  });
});
