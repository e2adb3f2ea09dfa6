import {
  citizenId,
  registerIntermediary,
  registerSupervisor,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await ingestPlatform();
});
afterAll(async () => platform?.close());

describe('intermediaries and their practitioners (seeds/003 二、三(二))', () => {
  it('serves the six industries with their grade scales and commitment formats', async () => {
    const response = await platform.request({ url: '/v1/intermediaries/industries' });
    expect(response.statusCode).toBe(200);
    const items: { code: string; grades: { code: string }[]; commitment: { clauses: { code: string }[] } }[] =
      response.json().items;
    expect(items.map((i) => i.code)).toEqual([
      'design_consulting',
      'attestation_technical',
      'appraisal',
      'audit',
      'tendering_agency',
      'other',
    ]);
    for (const item of items) {
      expect(item.grades.length).toBeGreaterThanOrEqual(3);
      expect(item.commitment.clauses.map((c) => c.code)).toContain('truthful');
    }
  });

  it('lets only a department supervising the industry register an agency and link its practitioners', async () => {
    const finance = await registerSupervisor(platform, ['audit', 'appraisal']);
    const housing = await registerSupervisor(platform, ['tendering_agency']);
    const id = uscc();
    const body = { subject: { id, name: '淄博某会计师事务所' }, industry: 'audit' };

    const refused = await platform.request({
      method: 'POST',
      url: '/v1/intermediaries',
      token: housing.token,
      body,
    });
    expect(refused.json()).toMatchObject({ status: 403, code: 'department_not_permitted' });

    const created = await platform.request({
      method: 'POST',
      url: '/v1/intermediaries',
      token: finance.token,
      body,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id, industry: 'audit', department: finance.code });
    const again = await platform.request({
      method: 'POST',
      url: '/v1/intermediaries',
      token: finance.token,
      body,
    });
    expect(again.statusCode).toBe(200);
    const other = await platform.request({
      method: 'POST',
      url: '/v1/intermediaries',
      token: finance.token,
      body: { ...body, industry: 'appraisal' },
    });
    expect(other.json()).toMatchObject({ status: 409, code: 'conflict' });

    const personId = citizenId();
    const link = {
      person: { id: personId, name: '王会计' },
      qualifications: [{ name: '注册会计师', number: 'CPA-370300-0001' }],
      responsible: true,
    };
    const url = `/v1/intermediaries/${id}/practitioners`;
    const notTheirs = await platform.request({ method: 'POST', url, token: housing.token, body: link });
    expect(notTheirs.statusCode).toBe(403);
    const linked = await platform.request({ method: 'POST', url, token: finance.token, body: link });
    expect(linked.statusCode).toBe(201);
    expect(linked.json()).toMatchObject({ agency: id, responsible: true, person: { name: '王会计' } });
    expect(linked.json().person.id).not.toBe(personId);
    expect(
      (await platform.request({ method: 'POST', url, token: finance.token, body: link })).statusCode,
    ).toBe(200);
    const badPerson = await platform.request({
      method: 'POST',
      url,
      token: finance.token,
      body: { ...link, person: { id: '370303199001011234', name: '某' } },
    });
    expect(badPerson.json()).toMatchObject({ status: 422, code: 'invalid_identifier' });

    const self = await platform.token('subject', { subject: id });
    const file = await platform.request({ url: `/v1/intermediaries/${id}`, token: self });
    expect(file.statusCode).toBe(200);
    expect(file.json().practitioners).toHaveLength(1);
    const stranger = await platform.token('subject', { subject: uscc() });
    expect((await platform.request({ url: `/v1/intermediaries/${id}`, token: stranger })).statusCode).toBe(
      403,
    );

    const events = await platform.database.query<{ type: string; payload: Record<string, unknown> }>(
      "SELECT type, payload FROM ingest.events WHERE type IN ('intermediary.registered', 'practitioner.linked') AND aggregate_id IN ($1, $2)",
      [id, linked.json().id],
    );
    expect(events.map((e) => e.type).sort()).toEqual(['intermediary.registered', 'practitioner.linked']);
    // Identity travels encrypted, never in clear.
    expect(JSON.stringify(events)).not.toContain(personId);
  });

  it('names a missing agency 404 and refuses an unknown industry', async () => {
    const finance = await registerSupervisor(platform, ['audit']);
    const missing = await platform.request({
      method: 'POST',
      url: `/v1/intermediaries/${uscc()}/practitioners`,
      token: finance.token,
      body: { person: { id: citizenId(), name: '某' } },
    });
    expect(missing.statusCode).toBe(404);
    const unknown = await platform.request({
      method: 'POST',
      url: '/v1/intermediaries',
      token: finance.token,
      body: { subject: { id: uscc(), name: '某' }, industry: 'astrology' },
    });
    expect(unknown.statusCode).toBe(422);
    const agency = await registerIntermediary(platform, finance.token, 'audit');
    expect(
      (await platform.request({ url: `/v1/intermediaries/${agency.uscc}`, token: agency.token })).statusCode,
    ).toBe(200);
  });
});
