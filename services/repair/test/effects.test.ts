import { company, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, repairPlatform } from './helpers.ts';

/** What objections and repairs change in the other services, through events only. */
let platform: TestPlatform;
let a: Actors;
let shop: string;
let agency: { uscc: string; token: string };
const at = (iso: string) => platform.setNow(new Date(iso));

beforeAll(async () => {
  platform = await repairPlatform();
  at('2026-01-05T02:00:00Z');
  a = await actors(platform, ['administrative_penalty', 'dishonest_judgement_debtor']);
  shop = await platform.token('platform', { org: 'shop-platform' });
  const agencyUscc = company().id;
  await platform.request({
    method: 'POST',
    url: '/v1/agencies',
    token: a.admin,
    body: {
      uscc: agencyUscc,
      name: '某征信有限公司',
      licenceNumber: 'ZX-001',
      licenceValidUntil: '2030-12-31',
    },
  });
  agency = { uscc: agencyUscc, token: await platform.token('agency', { org: agencyUscc }) };
  const rule = await platform.request({
    method: 'POST',
    url: '/v1/rules',
    token: a.admin,
    body: {
      definition: {
        code: 'serious-penalties',
        name: '严重违法失信',
        kind: 'black',
        domain: 'general',
        subjectKinds: ['legal_person'],
        identifyingDepartment: a.providerCode,
        condition: {
          type: 'records',
          match: { entries: ['administrative_penalty'], severities: ['serious'] },
          minCount: 1,
        },
        objectionWindowWorkingDays: 3,
      },
    },
  });
  expect(rule.statusCode).toBe(201);
});
afterAll(async () => platform?.close());

async function listed(org: { kind: string; id: string; name: string }, occurredAt: string) {
  const basis = record('administrative_penalty', org, {
    occurredAt,
    data: { ...record('administrative_penalty', org).data, severity: 'serious' },
  });
  const { id: recordId } = await push(platform, a.provider, basis);
  await platform.request({ method: 'POST', url: '/v1/watches', token: shop, body: { subjects: [org.id] } });
  await platform.drainConsumers();
  const [entry] = (await platform.request({ url: '/v1/list-entries?status=noticed', token: a.admin }))
    .json()
    .items.filter((e: { subject: { id: string } }) => e.subject.id === org.id);
  return { basis, recordId, entryId: entry.id as string };
}

async function publish(entryId: string) {
  // The department's staff decide with a government token; its system pushes as provider.
  const staff = await platform.token('government', { org: a.providerCode });
  const response = await platform.request({
    method: 'POST',
    url: `/v1/list-entries/${entryId}/decision`,
    token: staff,
    body: { decision: 'publish', note: '认定' },
  });
  expect(response.statusCode, response.body).toBe(200);
  await platform.drainConsumers();
}

async function changesFor(entryId: string) {
  const items = (await platform.request({ url: '/v1/listing-changes?limit=500', token: shop })).json().items;
  return items
    .filter((c: { entry: { id: string } }) => c.entry.id === entryId)
    .map((c: { type: string; entry: { endReason: string | null } }) => [c.type, c.entry.endReason]);
}

describe('an upheld objection', () => {
  it('corrects the record through ingest, exits the list entry it founded and announces it to platforms', async () => {
    at('2026-01-05T02:00:00Z');
    const org = company();
    const { basis, recordId, entryId } = await listed(org, '2026-01-02');
    at('2026-01-12T02:00:00Z');
    await publish(entryId);
    expect(await changesFor(entryId)).toEqual([['list.entry.published', null]]);

    const own = await platform.token('subject', { subject: org.id });
    // The sanctions service's notice (告知) and decision reached the subject's notices.
    const notices = (await platform.request({ url: `/v1/subjects/${org.id}/notices`, token: own })).json()
      .items;
    expect(
      notices
        .filter((n: { kind: string }) => n.kind === 'list_entry')
        .map((n: { detail: { status: string } }) => n.detail.status),
    ).toEqual(expect.arrayContaining(['noticed', 'published']));
    const objection = (
      await platform.request({
        method: 'POST',
        url: '/v1/objections',
        token: own,
        body: { target: { type: 'record', id: recordId }, reason: '当事人并非违法主体' },
      })
    ).json();
    await platform.request({
      method: 'POST',
      url: `/v1/objections/${objection.id}/admission`,
      token: a.provider,
      body: { admissible: true, note: '受理' },
    });
    await platform.request({
      method: 'POST',
      url: `/v1/objections/${objection.id}/decision`,
      token: a.provider,
      body: { outcome: 'upheld', note: '处罚对象认定错误' },
    });

    // The provider corrects through ingest: here, by withdrawing the wrong record.
    const withdrawn = await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${basis.sourceId}`,
      token: a.provider,
      body: { reasonCode: 'objection_upheld', reason: `异议成立 ${objection.id}` },
    });
    expect(withdrawn.json().status).toBe('withdrawn');
    await platform.drainConsumers();

    const closed = (await platform.request({ url: `/v1/objections/${objection.id}`, token: own })).json();
    expect(closed).toMatchObject({ status: 'closed', outcome: 'upheld' });
    expect(closed.deadlines.find((d: { kind: string }) => d.kind === 'correction')).toMatchObject({
      met: true,
      overdue: false,
    });
    expect(await changesFor(entryId)).toEqual([
      ['list.entry.published', null],
      ['list.entry.exited', 'basis_changed'],
    ]);
  });
});

describe('credit repair (信用修复)', () => {
  it('refuses too early with the earliest date, and refuses what cannot be repaired', async () => {
    at('2026-03-01T02:00:00Z');
    const org = company();
    const { id: general } = await push(
      platform,
      a.provider,
      record('administrative_penalty', org, { occurredAt: '2026-02-10' }),
    );
    const { id: debtor } = await push(
      platform,
      a.provider,
      record('dishonest_judgement_debtor', org, { occurredAt: '2026-02-10' }),
    );
    await platform.drainConsumers();
    const own = await platform.token('subject', { subject: org.id });
    const apply = (id: string) =>
      platform.request({
        method: 'POST',
        url: '/v1/repairs',
        token: own,
        body: {
          target: { type: 'record', id },
          obligationPerformed: true,
          evidence: [{ description: '罚款缴纳凭证' }],
          commitment: '本单位承诺今后依法诚信经营，自觉接受监督。',
        },
      });
    const precheck = (
      await platform.request({ url: `/v1/repairs/precheck?type=record&id=${general}`, token: own })
    ).json();
    expect(precheck).toMatchObject({ repairable: true, eligibleNow: false, earliestDate: '2026-05-10' });
    expect((await apply(general)).json()).toMatchObject({
      status: 422,
      code: 'repair_not_yet_eligible',
      earliestDate: '2026-05-10',
    });
    expect((await apply(debtor)).json()).toMatchObject({ status: 422, code: 'not_repairable' });
  });

  it('when approved, hides the record from the public and agencies, keeps it for the subject, exits lists and tells earlier recipients of JSON and PDF reports alike', async () => {
    at('2026-01-05T02:00:00Z');
    const org = company();
    const { recordId, entryId } = await listed(org, '2025-01-02');
    at('2026-01-12T02:00:00Z');
    await publish(entryId);

    // An agency takes a report containing the record before the repair.
    const own = await platform.token('subject', { subject: org.id });
    const granted = (
      await platform.request({
        method: 'POST',
        url: '/v1/authorisations',
        token: own,
        body: { agency: agency.uscc, purpose: 'loan', expiresAt: '2026-06-01T00:00:00Z' },
      })
    ).json();
    const agencyReport = () =>
      platform.request({
        url: `/v1/subjects/${org.id}/report`,
        token: agency.token,
        headers: { 'x-credit-authorisation': granted.token },
      });
    const before = await agencyReport();
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json().report.items.map((i: { recordId: string }) => i.recordId)).toContain(recordId);
    expect(
      (await platform.request({ url: `/v1/public/subjects/${org.id}` }))
        .json()
        .items.map((p: { recordId: string }) => p.recordId),
    ).toContain(recordId);
    // Another agency receives the report as a PDF, which is logged as issued to it the same way.
    const pdfAgency = { uscc: company().id, token: '' };
    const registered = await platform.request({
      method: 'POST',
      url: '/v1/agencies',
      token: a.admin,
      body: {
        uscc: pdfAgency.uscc,
        name: '另一征信有限公司',
        licenceNumber: 'ZX-002',
        licenceValidUntil: '2030-12-31',
      },
    });
    expect(registered.statusCode, registered.body).toBe(201);
    pdfAgency.token = await platform.token('agency', { org: pdfAgency.uscc });
    const pdfGranted = await platform.request({
      method: 'POST',
      url: '/v1/authorisations',
      token: own,
      body: { agency: pdfAgency.uscc, purpose: 'loan', expiresAt: '2026-06-01T00:00:00Z' },
    });
    expect(pdfGranted.statusCode, pdfGranted.body).toBe(201);
    const pdfGrant = pdfGranted.json();
    const pdf = await platform.request({
      url: `/v1/subjects/${org.id}/report`,
      token: pdfAgency.token,
      headers: { 'x-credit-authorisation': pdfGrant.token, accept: 'application/pdf' },
    });
    expect(pdf.statusCode, pdf.body.slice(0, 300)).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');

    // Serious: repairable one year after the fact (2026-01-02).
    const applied = await platform.request({
      method: 'POST',
      url: '/v1/repairs',
      token: own,
      body: {
        target: { type: 'record', id: recordId },
        obligationPerformed: true,
        evidence: [{ description: '已整改并缴纳罚款' }],
        commitment: '本单位承诺今后依法诚信经营，自觉接受社会监督。',
      },
    });
    expect(applied.statusCode, applied.body).toBe(201);
    const repair = applied.json();
    expect(repair).toMatchObject({ status: 'submitted', responsibleDepartment: a.providerCode });
    // Accepted within 3 working days of Monday Jan 12 → Thursday Jan 15.
    expect(repair.dueAt).toBe('2026-01-15T15:59:59.999Z');

    const step = (action: string, token: string) =>
      platform.request({
        method: 'POST',
        url: `/v1/repairs/${repair.id}/steps`,
        token,
        body: { action, note: action },
      });
    expect((await step('approve', a.provider)).json().code).toBe('invalid_state');
    expect((await step('accept', a.provider)).json().status).toBe(403);
    const accepted = (await step('accept', a.admin)).json();
    // The result within 10 working days of filing → Monday Jan 26.
    expect(accepted).toMatchObject({ status: 'accepted', dueAt: '2026-01-26T15:59:59.999Z' });
    const effective = (await step('approve', a.provider)).json();
    expect(effective.status).toBe('effective');
    expect(effective.history.map((h: { status: string }) => h.status)).toEqual([
      'submitted',
      'accepted',
      'approved',
      'effective',
    ]);
    await platform.drainConsumers();

    expect(
      (await agencyReport()).json().report.items.map((i: { recordId: string }) => i.recordId),
    ).not.toContain(recordId);
    expect(
      (await platform.request({ url: `/v1/public/subjects/${org.id}` }))
        .json()
        .items.map((p: { recordId: string }) => p.recordId),
    ).not.toContain(recordId);
    const mine = (await platform.request({ url: `/v1/subjects/${org.id}/report`, token: own })).json().report
      .items;
    expect(mine.find((i: { recordId: string }) => i.recordId === recordId).marks).toMatchObject({
      repaired: true,
    });
    expect(await changesFor(entryId)).toEqual([
      ['list.entry.published', null],
      ['list.entry.exited', 'repaired'],
    ]);
    const told = (await platform.request({ url: '/v1/notifications', token: agency.token })).json().items;
    expect(told).toEqual([expect.objectContaining({ kind: 'record_repaired', recordId })]);
    const toldPdf = (await platform.request({ url: '/v1/notifications', token: pdfAgency.token })).json()
      .items;
    expect(toldPdf).toEqual([expect.objectContaining({ kind: 'record_repaired', recordId })]);
  });
});

describe('display-period expiry', () => {
  it('hides an item past its display period from everyone but its subject, and announces the end', async () => {
    at('2026-05-15T02:00:00Z');
    const org = company();
    const { id: recordId } = await push(
      platform,
      a.provider,
      record('administrative_penalty', org, { occurredAt: '2025-05-20' }),
    );
    await platform.drainConsumers();
    const publicPenalties = async () =>
      (await platform.request({ url: `/v1/public/subjects/${org.id}` }))
        .json()
        .items.map((p: { recordId: string }) => p.recordId);
    expect(await publicPenalties()).toContain(recordId);

    at('2026-05-21T02:00:00Z');
    const run = (await platform.request({ method: 'POST', url: '/v1/expiry-runs', token: a.admin })).json();
    expect(run.ended).toBeGreaterThanOrEqual(1);
    expect(await publicPenalties()).not.toContain(recordId);
    const own = await platform.token('subject', { subject: org.id });
    const mine = (await platform.request({ url: `/v1/subjects/${org.id}/report`, token: own })).json().report
      .items;
    expect(mine.find((i: { recordId: string }) => i.recordId === recordId).marks.expired).toBe(true);
    expect(
      (await platform.request({ method: 'POST', url: '/v1/expiry-runs', token: a.admin })).json().ended,
    ).toBe(0);
  });

  it('announces a backlog of ends once each, a page at a time, when many share one instant', async () => {
    at('2026-06-01T02:00:00Z');
    const org = company();
    // Pages of two (test settings): three penalties whose display ends on one instant, and one
    // before and one after it.
    const ids: string[] = [];
    for (const occurredAt of ['2025-06-05', '2025-06-06', '2025-06-06', '2025-06-06', '2025-06-07'])
      ids.push((await push(platform, a.provider, record('administrative_penalty', org, { occurredAt }))).id);
    await platform.drainConsumers();
    at('2026-06-10T02:00:00Z');
    const run = (await platform.request({ method: 'POST', url: '/v1/expiry-runs', token: a.admin })).json();
    expect(run.ended).toBe(5);
    const announced = await platform.database.query<{ id: string; n: number }>(
      `SELECT aggregate_id AS id, count(*)::int AS n FROM repair.events
       WHERE type = 'record.display_ended' AND aggregate_id = ANY($1) GROUP BY aggregate_id`,
      [ids],
    );
    expect(announced.map((row) => [row.id, row.n]).sort()).toEqual(ids.map((id) => [id, 1]).sort());
    await platform.drainConsumers();
    expect((await platform.request({ url: `/v1/public/subjects/${org.id}` })).json().items).toEqual([]);
    expect(
      (await platform.request({ method: 'POST', url: '/v1/expiry-runs', token: a.admin })).json().ended,
    ).toBe(0);
  });
});
