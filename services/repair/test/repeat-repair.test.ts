import { company, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, repairPlatform } from './helpers.ts';

/**
 * One item, one repair: a second application for an item already repaired, or while a repair of
 * it is open, is refused with a coded 409 (as an objection already decided is); a repair refused
 * (not accepted or denied) may be applied for again.
 */
let platform: TestPlatform;
let a: Actors;
const at = (iso: string) => platform.setNow(new Date(iso));

beforeAll(async () => {
  platform = await repairPlatform();
  at('2026-06-01T02:00:00Z');
  a = await actors(platform, ['administrative_penalty']);
});
afterAll(async () => platform?.close());

/** A general penalty past its three months of publicity, and its subject's token. */
async function repairableRecord() {
  const org = company();
  const { id: recordId } = await push(
    platform,
    a.provider,
    record('administrative_penalty', org, { occurredAt: '2026-02-10' }),
  );
  await platform.drainConsumers();
  return { recordId, own: await platform.token('subject', { subject: org.id }) };
}

const apply = (own: string, recordId: string) =>
  platform.request({
    method: 'POST',
    url: '/v1/repairs',
    token: own,
    body: {
      target: { type: 'record', id: recordId },
      obligationPerformed: true,
      evidence: [{ description: '罚款已缴纳' }],
      commitment: '本单位承诺今后依法诚信经营，自觉接受社会监督。',
    },
  });

const step = async (id: string, action: string, token: string) => {
  const response = await platform.request({
    method: 'POST',
    url: `/v1/repairs/${id}/steps`,
    token,
    body: { action, note: action },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

describe('a repeated repair application', () => {
  it('is refused with 409 already_repaired once the repair was approved', async () => {
    const { recordId, own } = await repairableRecord();
    const first = await apply(own, recordId);
    expect(first.statusCode, first.body).toBe(201);
    const repairId = first.json().id;
    await step(repairId, 'accept', a.admin);
    expect((await step(repairId, 'approve', a.provider)).status).toBe('effective');
    await platform.drainConsumers();

    const again = await apply(own, recordId);
    expect(again.statusCode, again.body).toBe(409);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.json()).toMatchObject({ status: 409, code: 'already_repaired', repairId });
  });

  it('is refused with 409 already_under_repair while the first is open, even when both arrive at once', async () => {
    const { recordId, own } = await repairableRecord();
    const both = await Promise.all([apply(own, recordId), apply(own, recordId)]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const refused = both.find((r) => r.statusCode === 409);
    const filed = both.find((r) => r.statusCode === 201);
    expect(refused?.json()).toMatchObject({ code: 'already_under_repair', repairId: filed?.json().id });
  });

  it('may be made again after a repair was denied or not accepted', async () => {
    const { recordId, own } = await repairableRecord();
    const first = (await apply(own, recordId)).json();
    await step(first.id, 'not_accept', a.admin);
    const second = await apply(own, recordId);
    expect(second.statusCode, second.body).toBe(201);
    await step(second.json().id, 'accept', a.admin);
    expect((await step(second.json().id, 'deny', a.provider)).status).toBe('denied');
    const third = await apply(own, recordId);
    expect(third.statusCode, third.body).toBe(201);
  });
});
