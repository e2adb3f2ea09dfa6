import { subjectKeyOf } from '@credit/schema';
import { company, defineRule, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, sanctionsPlatform } from './helpers.ts';

let platform: TestPlatform;
let a: Actors;

beforeAll(async () => {
  platform = await sanctionsPlatform();
  platform.setNow(new Date('2026-06-01T02:00:00Z'));
  a = await actors(platform, [
    'honour_award',
    'administrative_penalty',
    'org_registration',
    'liability_accident',
  ]);
});
afterAll(async () => platform?.close());

const subjectEntries = async (id: string) =>
  (
    await platform.request({
      url: `/v1/subjects/${id}/list-entries`,
      token: await platform.token('subject', { subject: id }),
    })
  ).json().items;

describe('rules as data', () => {
  it('refuses a rule that does not parse, naming the path', async () => {
    const response = await platform.request({
      method: 'POST',
      url: '/v1/rules',
      token: a.admin,
      body: {
        definition: {
          code: 'broken-rule',
          name: 'x',
          kind: 'black',
          domain: 'general',
          subjectKinds: ['legal_person'],
          identifyingDepartment: 'zb-x',
          condition: {
            type: 'all',
            conditions: [{ type: 'records', match: { entries: ['administrative_penalty'] }, minCount: 0 }],
          },
        },
      },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({
      code: 'rule_invalid',
      errors: [{ path: 'definition.condition.conditions.0.minCount' }],
    });
  });

  it('versions rules: a new definition retires the previous version', async () => {
    const base = {
      code: 'penalty-watch',
      name: '行政处罚重点关注',
      kind: 'watch',
      domain: 'general',
      subjectKinds: ['legal_person'],
      identifyingDepartment: 'credit-office',
      condition: {
        type: 'records',
        match: { entries: ['administrative_penalty'] },
        minCount: 3,
        withinMonths: 12,
      },
    };
    expect((await defineRule(platform, a.admin, base)).version).toBe(1);
    expect(
      (await defineRule(platform, a.admin, { ...base, condition: { ...base.condition, minCount: 2 } }))
        .version,
    ).toBe(2);
    const versions = (await platform.request({ url: '/v1/rules/penalty-watch', token: a.admin })).json()
      .items;
    expect(versions.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([
      [1, 'retired'],
      [2, 'active'],
    ]);
  });

  it('lists a red subject by an absence rule: an honour and no dishonesty for three years', async () => {
    await defineRule(platform, a.admin, {
      code: 'honoured-and-clean',
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
    const clean = company();
    const penalised = company();
    await push(platform, a.provider, record('honour_award', clean));
    await push(platform, a.provider, record('honour_award', penalised));
    await push(platform, a.provider, record('administrative_penalty', penalised));
    await platform.drainConsumers();

    const [proposal] = await subjectEntries(clean.id);
    expect(proposal).toMatchObject({ listKind: 'red', status: 'proposed', objectionUntil: null });
    // The consumer may have proposed red after the honour and before the penalty arrived; if so the
    // penalty cancelled that proposal (its honour still stands, the rule no longer holds). Either
    // way no red entry stands.
    const red = (await subjectEntries(penalised.id)).filter(
      (e: { listKind: string }) => e.listKind === 'red',
    );
    expect(
      red.every(
        (e: { status: string; endReason: string }) =>
          e.status === 'cancelled' && e.endReason === 'rule_no_longer_met',
      ),
    ).toBe(true);

    // Red entries are published on decision, without an objection window.
    const published = await platform.request({
      method: 'POST',
      url: `/v1/list-entries/${proposal.id}/decision`,
      token: a.admin,
      body: { decision: 'publish', note: '诚信之星' },
    });
    expect(published.json().status).toBe('published');
    const check = await platform.request({
      method: 'POST',
      url: '/v1/checks',
      token: a.court,
      body: {
        subject: clean.id,
        action: 'fiscal_funding',
        purpose: '专项资金申报',
      },
    });
    expect(check.json()).toMatchObject({
      decision: 'priority',
      measures: [{ code: 'fiscal_support_priority', effect: 'priority' }],
    });
  });

  it('shows in a dry run which subjects a rule would list and why, writing nothing', async () => {
    const serious = company();
    await push(platform, a.provider, record('liability_accident', serious));
    await platform.drainConsumers();
    const definition = {
      code: 'accident-black',
      name: '重大责任事故',
      kind: 'black',
      domain: 'work_safety',
      subjectKinds: ['legal_person'],
      identifyingDepartment: 'zb-safety',
      condition: {
        type: 'records',
        match: { entries: ['liability_accident'], severities: ['serious'] },
        minCount: 1,
      },
    };
    const dry = (
      await platform.request({
        method: 'POST',
        url: '/v1/rules/dry-run',
        token: a.admin,
        body: { definition },
      })
    ).json();
    const match = dry.matches.find((m: { subject: { id: string } }) => m.subject.id === serious.id);
    expect(match).toMatchObject({
      basis: [expect.stringMatching(/^rec_/)],
      explanation: [expect.stringContaining('1 record(s) of liability_accident (serious)')],
    });
    expect(
      (await subjectEntries(serious.id)).filter(
        (e: { rule: { code: string } }) => e.rule.code === 'accident-black',
      ),
    ).toEqual([]);
  });
});

describe('rule and measure codes', () => {
  const measure = {
    name: '测试措施',
    nameEn: 'Test measure',
    listKind: 'black',
    domains: ['general'],
    subjectScope: 'any',
    actions: ['inspection_planning'],
    effect: 'inspect',
    legalBasis: '测试',
    implementingDepartment: '各行政监管部门',
  };

  it('refuses a measure or rule code that is not a code, as a coded problem, storing nothing', async () => {
    for (const code of ['%20key_inspection%20', 'Key_Inspection', 'k', '1st-measure', 'a%2Fb']) {
      const put = await platform.request({
        method: 'PUT',
        url: `/v1/measures/${code}`,
        token: a.admin,
        body: measure,
      });
      expect(put.statusCode, code).toBe(400);
      expect(put.headers['content-type']).toContain('application/problem+json');
      expect(put.json(), code).toMatchObject({ code: 'bad_request', errors: [{ path: 'params.code' }] });
      const rule = await platform.request({ url: `/v1/rules/${code}`, token: a.admin });
      expect(rule.statusCode, code).toBe(400);
      expect(rule.json(), code).toMatchObject({ code: 'bad_request', errors: [{ path: 'params.code' }] });
    }
    const catalogue = (await platform.request({ url: '/v1/measures' })).json().items;
    expect(catalogue.every((m: { code: string }) => /^[a-z][a-z0-9_-]{2,63}$/.test(m.code))).toBe(true);

    const stored = await platform.request({
      method: 'PUT',
      url: '/v1/measures/test_measure',
      token: a.admin,
      body: measure,
    });
    expect(stored.json()).toMatchObject({ code: 'test_measure' });
  });
});

describe('amount thresholds', () => {
  it('lists a subject whose penalties within a year reach the amount, and not one below it', async () => {
    await defineRule(platform, a.admin, {
      code: 'heavy-fines-watch',
      name: '一年内累计罚款较高',
      kind: 'watch',
      domain: 'general',
      subjectKinds: ['legal_person'],
      identifyingDepartment: 'credit-office',
      condition: {
        type: 'records',
        match: { entries: ['administrative_penalty'] },
        minCount: 2,
        withinMonths: 12,
        amount: { min: 100000, aggregate: 'sum' },
      },
    });
    const heavy = company();
    const light = company();
    const penalty = (subject: ReturnType<typeof company>, amount: number) =>
      push(
        platform,
        a.provider,
        record('administrative_penalty', subject, {
          data: { ...record('administrative_penalty', subject).data, amount },
        }),
      );
    await penalty(heavy, 60000);
    await penalty(heavy, 50000);
    await penalty(light, 30000);
    await penalty(light, 20000);
    await platform.drainConsumers();
    const watched = async (id: string) =>
      (await subjectEntries(id)).filter(
        (e: { rule: { code: string }; status: string }) =>
          e.rule.code === 'heavy-fines-watch' && e.status === 'noticed',
      );
    expect(await watched(heavy.id)).toHaveLength(1);
    expect((await watched(heavy.id))[0].history[0].note).toContain('sum of amounts 110000 yuan');
    expect(await watched(light.id)).toHaveLength(0);
  });
});

describe('grades', () => {
  it('grades food and drug credit by rules, and makes two consecutive 守信 years and an exemplary role 示范守信', async () => {
    const grade = (label: string, rank: number, condition: Record<string, unknown>) =>
      defineRule(platform, a.admin, {
        code: `food-drug-${rank}`,
        name: label,
        kind: 'grade',
        domain: 'food_drug',
        subjectKinds: ['legal_person'],
        identifyingDepartment: 'zb-amr',
        grade: { label, rank },
        condition,
      });
    const registered = { type: 'records', match: { entries: ['org_registration'] }, minCount: 1 };
    const noDishonesty = { type: 'absence', match: { classes: ['dishonesty'] }, withinMonths: 12 };
    await grade('守信', 10, { type: 'all', conditions: [registered, noDishonesty] });
    await grade('失信', 20, {
      type: 'records',
      match: { classes: ['dishonesty'] },
      minCount: 1,
      withinMonths: 12,
    });
    await grade('严重失信', 30, {
      type: 'records',
      match: { classes: ['dishonesty'], severities: ['serious'] },
      minCount: 1,
      withinMonths: 12,
    });
    await grade('示范守信', 15, {
      type: 'all',
      conditions: [
        registered,
        noDishonesty,
        { type: 'grade_history', domain: 'food_drug', grade: '守信', consecutiveYears: 2 },
        { type: 'records', match: { entries: ['honour_award'] }, minCount: 1, withinMonths: 12 },
      ],
    });
    const exemplary = company();
    const dishonest = company();
    platform.setNow(new Date('2024-03-01T02:00:00Z'));
    await push(platform, a.provider, record('org_registration', exemplary, { occurredAt: '2020-01-01' }));
    await push(platform, a.provider, record('org_registration', dishonest, { occurredAt: '2020-01-01' }));
    await platform.drainConsumers();
    await platform.request({ method: 'POST', url: '/v1/evaluations', token: a.admin });
    platform.setNow(new Date('2025-03-01T02:00:00Z'));
    await platform.request({ method: 'POST', url: '/v1/evaluations', token: a.admin });
    platform.setNow(new Date('2026-03-01T02:00:00Z'));
    await push(platform, a.provider, record('honour_award', exemplary, { occurredAt: '2026-02-01' }));
    await push(platform, a.provider, record('liability_accident', dishonest, { occurredAt: '2026-02-01' }));
    await platform.drainConsumers();
    await platform.request({ method: 'POST', url: '/v1/evaluations', token: a.admin });

    const gradesOf = async (id: string) => {
      const key = subjectKeyOf(platform.runtime.keyring.blindIndex, 'legal_person', id);
      const rows = await platform.database.query<{ year: number; grade: string }>(
        'SELECT year, grade FROM sanctions.grades WHERE subject_key = $1 ORDER BY year',
        [key],
      );
      return rows.map((r) => [Number(r.year), r.grade]);
    };
    expect(await gradesOf(exemplary.id)).toEqual([
      [2024, '守信'],
      [2025, '守信'],
      [2026, '示范守信'],
    ]);
    expect(await gradesOf(dishonest.id)).toEqual([
      [2024, '守信'],
      [2025, '守信'],
      [2026, '严重失信'],
    ]);
  });
});

describe('check API refusals', () => {
  it('answers an unknown action with 422 naming the allowed values, and a subject not named by its number', async () => {
    const check = (body: Record<string, unknown>) =>
      platform.request({ method: 'POST', url: '/v1/checks', token: a.court, body });
    const action = (
      await check({
        subject: company().id,
        action: 'fly_to_the_moon',
        purpose: 'x',
      })
    ).json();
    expect(action).toMatchObject({ status: 422, errors: [{ path: 'action' }] });
    expect(action.errors[0].message).toContain('public_tender');
    // A subject is named by its number alone, as on every route that looks one up.
    const described = (
      await check({
        subject: { kind: 'legal_person', id: company().id },
        action: 'public_tender',
        purpose: 'x',
      })
    ).json();
    expect(described).toMatchObject({ status: 422, errors: [{ path: 'subject' }] });
  });
});
