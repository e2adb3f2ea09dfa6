import { company, person, push, record, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

let platform: TestPlatform;
let w: World;

beforeAll(async () => {
  platform = await queryPlatform();
  w = await world(platform, ['administrative_penalty', 'administrative_penalty_summary', 'person_education']);
});
afterAll(async () => platform?.close());

async function ownReportItems(
  id: string,
): Promise<{ recordId: string; occurredAt: string; displayUntil: string | null }[]> {
  const own = await platform.token('subject', { subject: id });
  const response = await platform.request({ url: `/v1/subjects/${id}/report`, token: own });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().report.items;
}

describe('plain dates read back as the same calendar date (Asia/Shanghai)', () => {
  it('returns a date-only occurredAt as YYYY-MM-DD and an instant as a UTC instant, everywhere a record is read', async () => {
    const org = company();
    const dated = await push(
      platform,
      w.provider.token,
      record('administrative_penalty', org, { occurredAt: '2026-11-20' }),
    );
    const timed = await push(
      platform,
      w.provider.token,
      record('administrative_penalty', org, { occurredAt: '2026-11-20T07:30:00+08:00' }),
    );
    await platform.drainConsumers();

    const view = await platform.request({ url: `/v1/records/${dated.id}`, token: w.provider.token });
    expect(view.json().versions[0].occurredAt).toBe('2026-11-20');
    const timedView = await platform.request({ url: `/v1/records/${timed.id}`, token: w.provider.token });
    expect(timedView.json().versions[0].occurredAt).toBe('2026-11-19T23:30:00.000Z');

    const items = await ownReportItems(org.id);
    expect(items.find((i) => i.recordId === dated.id)?.occurredAt).toBe('2026-11-20');
    expect(items.find((i) => i.recordId === timed.id)?.occurredAt).toBe('2026-11-19T23:30:00.000Z');

    const disclosed = (await platform.request({ url: `/v1/public/subjects/${org.id}` })).json();
    expect(disclosed.items.find((i: { recordId: string }) => i.recordId === dated.id)?.occurredAt).toBe(
      '2026-11-20',
    );

    const own = await platform.token('subject', { subject: org.id });
    const graphql = await platform.request({
      method: 'POST',
      url: '/graphql',
      token: own,
      body: { query: '{ me { records { edges { node { recordId occurredAt } } } } }' },
    });
    const nodes = graphql.json().data.me.records.edges.map((e: { node: unknown }) => e.node);
    expect(nodes).toContainEqual({ recordId: dated.id, occurredAt: '2026-11-20' });
    expect(nodes).toContainEqual({ recordId: timed.id, occurredAt: '2026-11-19T23:30:00.000Z' });
  });

  it('counts display periods in Shanghai calendar months: 3 months from 31 August end with 30 November', async () => {
    const org = company();
    const summary = await push(
      platform,
      w.provider.token,
      record('administrative_penalty_summary', org, { occurredAt: '2026-08-31' }),
    );
    await platform.drainConsumers();
    const item = (await ownReportItems(org.id)).find((i) => i.recordId === summary.id);
    // Shown until 30 November began in Shanghai (the month has no 31st).
    expect(item?.displayUntil).toBe('2026-11-29T16:00:00.000Z');
  });

  it('reads an authorisation’s historyFrom back as the date the subject gave', async () => {
    const subject = person();
    await push(platform, w.provider.token, record('person_education', subject));
    const token = await platform.token('subject', { subject: subject.id });
    const granted = await platform.request({
      method: 'POST',
      url: '/v1/authorisations',
      token,
      body: {
        agency: w.agency.uscc,
        purpose: 'employment',
        historyFrom: '2026-01-01',
        expiresAt: new Date(Date.now() + 10 * 86_400_000).toISOString(),
      },
    });
    expect(granted.statusCode, granted.body).toBe(201);
    expect(granted.json().historyFrom).toBe('2026-01-01');
    const listed = await platform.request({ url: '/v1/authorisations', token });
    expect(listed.json().items.map((a: { historyFrom: string }) => a.historyFrom)).toEqual(['2026-01-01']);
  });
});
