import { company, push, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, record, repairPlatform } from './helpers.ts';

/** CALENDAR_WEEKENDS_ARE_REST_DAYS=false: only official holidays move the end of a natural-day period. */
let platform: TestPlatform;
let a: Actors;
const at = (iso: string) => platform.setNow(new Date(iso));

beforeAll(async () => {
  platform = await repairPlatform({ env: { CALENDAR_WEEKENDS_ARE_REST_DAYS: 'false' } });
  at('2026-01-12T02:00:00Z');
  a = await actors(platform, ['administrative_penalty']);
});
afterAll(async () => platform?.close());

async function objectionDue(filedAt: string): Promise<string> {
  at('2026-01-12T02:00:00Z');
  const org = company();
  const { id } = await push(platform, a.provider, record('administrative_penalty', org));
  await platform.drainConsumers();
  at(filedAt);
  const token = await platform.token('subject', { subject: org.id });
  const filed = await platform.request({
    method: 'POST',
    url: '/v1/objections',
    token,
    body: { target: { type: 'record', id }, reason: '处罚对象有误' },
  });
  expect(filed.statusCode, filed.body).toBe(201);
  return filed.json().dueAt;
}

describe('when weekends are not rest days by policy', () => {
  it('keeps a 30-day answer ending on an ordinary Saturday', async () => {
    expect(await objectionDue('2026-02-12T02:00:00Z')).toBe('2026-03-14T15:59:59.999Z');
  });

  it('still moves one ending on a Spring Festival Sunday past the holiday', async () => {
    expect(await objectionDue('2026-01-16T02:00:00Z')).toBe('2026-02-24T15:59:59.999Z');
  });
});
