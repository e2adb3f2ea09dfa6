import { findEntry } from '@credit/schema';
import {
  createTestPlatform,
  expectPaginatesToEnd,
  registerAgency,
  registerProvider,
  sourceId,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * Grades are readable: a grade rule's result reaches the query service through the sanctions feed
 * and is shown, current and as history, over REST, GraphQL and in the credit report, and the check
 * API answers with it; a grade whose rules stop holding is withdrawn everywhere.
 */
let platform: TestPlatform;
let admin: string;
let provider: string;
let amr: string;
let tax: string;
let agency: { uscc: string; token: string };

const org = { kind: 'legal_person', id: uscc(), name: '淄博味美食品有限公司' };

function record(category: string, occurredAt: string) {
  return {
    sourceId: sourceId(category.slice(0, 5).toUpperCase()),
    category,
    subject: org,
    occurredAt,
    data: { ...findEntry(category)?.sample },
  };
}

async function push(body: ReturnType<typeof record>) {
  const response = await platform.request({ method: 'POST', url: '/v1/records', token: provider, body });
  expect(response.statusCode, response.body).toBe(201);
  await platform.drainConsumers();
}

async function withdraw(body: ReturnType<typeof record>) {
  const response = await platform.request({
    method: 'DELETE',
    url: `/v1/records/by-source/${body.sourceId}`,
    token: provider,
    body: { reason: '错误推送', reasonCode: 'entered_in_error' },
  });
  expect(response.statusCode, response.body).toBeLessThan(300);
  await platform.drainConsumers();
}

const evaluate = async () => {
  await platform.request({ method: 'POST', url: '/v1/evaluations', token: admin });
  await platform.drainConsumers();
};

const ownGrades = async () => {
  const token = await platform.token('subject', { subject: org.id });
  const response = await platform.request({ url: `/v1/subjects/${org.id}/grades`, token });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

const checkGrades = async () =>
  (
    await platform.request({
      method: 'POST',
      url: '/v1/checks',
      token: amr,
      body: {
        subject: org.id,
        action: 'inspection_planning',
        purpose: '双随机抽查',
      },
    })
  ).json().grades;

const current = (grades: { current: { year: number; grade: string }[] }) =>
  grades.current.map((g) => [g.year, g.grade]);

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  platform.setNow(new Date('2025-05-20T02:00:00Z'));
  admin = await platform.token('admin', { org: 'credit-office' });
  provider = (await registerProvider(platform, ['org_registration', 'administrative_penalty'])).token;
  for (const [department, remit] of [
    ['zb-amr', ['good_credit', 'dishonesty']],
    ['zb-tax', ['dishonesty']],
  ] as const) {
    await platform.request({
      method: 'POST',
      url: '/v1/departments',
      token: admin,
      body: { code: department, name: department, remit },
    });
  }
  amr = await platform.token('government', { org: 'zb-amr' });
  tax = await platform.token('government', { org: 'zb-tax' });
  agency = await registerAgency(platform);

  const grade = (label: string, rank: number, condition: Record<string, unknown>) =>
    platform.request({
      method: 'POST',
      url: '/v1/rules',
      token: admin,
      body: {
        definition: {
          code: `food-grade-${rank}`,
          name: label,
          kind: 'grade',
          domain: 'food_drug',
          subjectKinds: ['legal_person'],
          identifyingDepartment: 'zb-amr',
          grade: { label, rank },
          condition,
        },
      },
    });
  await grade('守信', 10, {
    type: 'all',
    conditions: [
      { type: 'records', match: { entries: ['org_registration'] }, minCount: 1 },
      { type: 'absence', match: { classes: ['dishonesty'] }, withinMonths: 12 },
    ],
  });
  await grade('失信', 20, {
    type: 'records',
    match: { classes: ['dishonesty'] },
    minCount: 1,
    withinMonths: 12,
  });
});
afterAll(async () => platform?.close());

describe('grades are readable and withdrawn when their rules stop holding', () => {
  const registration = record('org_registration', '2020-03-01');
  const penalty = record('administrative_penalty', '2026-05-20');

  it('shows a grade to the subject, in checks, over GraphQL and in reports, and last year’s until this year’s', async () => {
    await push(registration);
    expect(current(await ownGrades())).toEqual([[2025, '守信']]);
    expect(await checkGrades()).toEqual([{ domain: 'food_drug', year: 2025, grade: '守信' }]);

    // A year on, before the daily pass grades 2026, last year's grade stands; then 2026's.
    platform.setNow(new Date('2026-06-01T02:00:00Z'));
    expect(current(await ownGrades())).toEqual([[2025, '守信']]);
    await evaluate();
    expect(current(await ownGrades())).toEqual([[2026, '守信']]);

    await push(penalty);
    const own = await ownGrades();
    expect(own.current).toMatchObject([
      { domain: 'food_drug', year: 2026, grade: '失信', ruleCode: 'food-grade-20', department: 'zb-amr' },
    ]);
    expect(
      own.items.map((h: { change: string; year: number; grade: string }) => [h.change, h.year, h.grade]),
    ).toEqual([
      ['assigned', 2025, '守信'],
      ['assigned', 2026, '守信'],
      ['assigned', 2026, '失信'],
    ]);
    expect(own).not.toHaveProperty('next');
    // The history a page at a time, oldest first, to its end; the subject's own reads are not logged.
    // One evaluation can be assigned twice (守信, then 失信 the same year): a change is all of these.
    const idOf = (h: { change: string; evaluationId: string; grade: string; at: string }) =>
      `${h.at}:${h.change}:${h.evaluationId}:${h.grade}`;
    const ownToken = await platform.token('subject', { subject: org.id });
    await expectPaginatesToEnd(platform, {
      url: `/v1/subjects/${org.id}/grades`,
      token: ownToken,
      limit: 2,
      idOf,
      expected: own.items.map(idOf),
      ordered: true,
    });
    const forged = await platform.request({
      url: `/v1/subjects/${org.id}/grades?cursor=bm9wZQ`,
      token: ownToken,
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json()).toMatchObject({ code: 'bad_request', errors: [{ path: 'query.cursor' }] });
    expect(await checkGrades()).toEqual([{ domain: 'food_drug', year: 2026, grade: '失信' }]);

    // A department with good_credit in its remit reads them (logged), one without sees none.
    const byAmr = await platform.request({
      url: `/v1/subjects/${org.id}/grades?purpose=${encodeURIComponent('食品安全监管')}`,
      token: amr,
    });
    expect(current(byAmr.json())).toEqual([[2026, '失信']]);
    // Others see the last 12 months of the history only.
    expect(byAmr.json().items.map((h: { year: number; grade: string }) => [h.year, h.grade])).toEqual([
      [2026, '守信'],
      [2026, '失信'],
    ]);
    const byTax = await platform.request({ url: `/v1/subjects/${org.id}/grades?purpose=x`, token: tax });
    expect(byTax.json()).toEqual({ current: [], items: [] });
    const log = (
      await platform.request({
        url: `/v1/subjects/${org.id}/access-log`,
        token: await platform.token('subject', { subject: org.id }),
      })
    ).json();
    expect(log.items.map((i: { org: string; purpose: string }) => [i.org, i.purpose])).toEqual([
      ['zb-amr', '食品安全监管'],
      ['zb-tax', 'x'],
    ]);

    // Agencies read grades in the credit report, where the authorisation is used.
    const refused = await platform.request({ url: `/v1/subjects/${org.id}/grades`, token: agency.token });
    expect(refused.statusCode).toBe(403);
    const report = await platform.request({
      url: `/v1/subjects/${org.id}/report?purpose=${encodeURIComponent('食品安全监管')}`,
      token: amr,
    });
    expect(report.statusCode, report.body).toBe(200);
    expect(current(report.json().report.grades)).toEqual([[2026, '失信']]);

    // GraphQL pages the history as a connection, with the REST list's cursors.
    const graphqlPage = async (after: string | null) => {
      const answer = await platform.request({
        method: 'POST',
        url: '/graphql',
        token: ownToken,
        body: {
          query:
            'query ($after: String) { me { grades(first: 2, after: $after) { current { domain year grade } history { edges { cursor node { change year grade } } pageInfo { hasNextPage endCursor } } } } }',
          variables: { after },
        },
      });
      expect(answer.json().errors).toBeUndefined();
      return answer.json().data.me.grades;
    };
    const firstPage = await graphqlPage(null);
    expect(firstPage.current).toEqual([{ domain: 'food_drug', year: 2026, grade: '失信' }]);
    const restFirst = (
      await platform.request({ url: `/v1/subjects/${org.id}/grades?limit=2`, token: ownToken })
    ).json();
    expect(firstPage.history.pageInfo).toEqual({ hasNextPage: true, endCursor: restFirst.next });
    const secondPage = await graphqlPage(firstPage.history.pageInfo.endCursor);
    expect(secondPage.history.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
    expect(
      [...firstPage.history.edges, ...secondPage.history.edges].map(
        (e: { node: { change: string; year: number; grade: string } }) => [
          e.node.change,
          e.node.year,
          e.node.grade,
        ],
      ),
    ).toEqual([
      ['assigned', 2025, '守信'],
      ['assigned', 2026, '守信'],
      ['assigned', 2026, '失信'],
    ]);
  });

  it('withdraws the grade when no grade rule holds any more, without bringing last year’s back', async () => {
    await withdraw(penalty);
    expect(current(await ownGrades())).toEqual([[2026, '守信']]);
    await withdraw(registration);
    const own = await ownGrades();
    expect(own.current).toEqual([]);
    expect(own.items.at(-1)).toMatchObject({ change: 'withdrawn', year: 2026, grade: '守信' });
    expect(await checkGrades()).toEqual([]);
    const report = await platform.request({
      url: `/v1/subjects/${org.id}/report`,
      token: await platform.token('subject', { subject: org.id }),
    });
    expect(report.json().report.grades.current).toEqual([]);
    // The daily pass does not grade it again.
    await evaluate();
    expect((await ownGrades()).current).toEqual([]);
  });
});
