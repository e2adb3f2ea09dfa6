import { readFile } from 'node:fs/promises';
import { createTestPlatform, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplesPath, loadDemo } from '../src/demo/first-start.ts';
import type { ExampleCall } from '../src/demo/seed.ts';
import { platformServices } from '../src/services.ts';
import { demoTime } from './support/demo-time.ts';

/**
 * A newcomer sees sanctions from the first minute: the demo replays the court's black-list
 * procedure from months ago through the API with the clock set back, so a published entry, a
 * deny, a black listing status and an exit are there as soon as it has started.
 */
let platform: TestPlatform;
let examples: ExampleCall[];
// Monday 16 November 2026, 10:00 in Shanghai.
const present = new Date('2026-11-16T02:00:00Z');

beforeAll(async () => {
  platform = await createTestPlatform(platformServices, { now: present });
  const summary = await loadDemo(platform.app, platform.runtime, {
    force: true,
    baseUrl: 'http://127.0.0.1:3000',
    time: demoTime(platform, present),
    subjects: 20,
  });
  expect(summary?.history).toEqual({ debtor: 'published', settled: 'exited' });
  const written = JSON.parse(await readFile(examplesPath(platform.runtime.env.DATA_DIR), 'utf8'));
  examples = written.examples;
}, 120_000);
afterAll(async () => platform?.close());

const send = (example: ExampleCall) =>
  platform.request({
    method: example.method,
    url: example.path,
    headers: example.headers,
    ...(example.body === undefined ? {} : { rawBody: JSON.stringify(example.body) }),
  });

describe('the demo after its first start', () => {
  it('prints example calls that all succeed, checks among them answering deny', async () => {
    const decisions: string[] = [];
    for (const example of examples) {
      const response = await send(example);
      expect(response.statusCode, `${example.title}: ${response.body}`).toBe(200);
      if (example.path === '/v1/checks') decisions.push(response.json().decision);
    }
    expect(decisions).toContain('deny');
    expect(decisions.filter((d) => d === 'deny').length).toBeGreaterThanOrEqual(2);
  });

  it('has a published black-list entry whose procedure ran months ago, and one that exited', async () => {
    const entry = (title: RegExp) => {
      const example = examples.find((e) => title.test(e.title));
      if (!example) throw new Error(`no example ${title}`);
      return send(example).then((r) => r.json());
    };
    const published = await entry(/published black-list entry/);
    expect(published).toMatchObject({
      status: 'published',
      listKind: 'black',
      identifyingDepartment: 'zb-court',
    });
    expect(published.history.map((h: { status: string }) => h.status)).toEqual(['noticed', 'published']);
    // Noticed five months ago; published the day after its 10-working-day window.
    expect(new Date(published.proposedAt).getTime()).toBeLessThan(present.getTime() - 140 * 86_400_000);
    expect(new Date(published.validFrom).getTime()).toBeGreaterThan(
      new Date(published.objectionUntil).getTime(),
    );
    expect(new Date(published.validFrom).getTime()).toBeLessThan(present.getTime());
    expect(published.measures.map((m: { effect: string }) => m.effect)).toContain('deny');

    const exited = await entry(/An exit/);
    expect(exited).toMatchObject({ status: 'exited', endReason: 'basis_changed' });
    expect(exited.history.map((h: { status: string }) => h.status)).toEqual([
      'noticed',
      'published',
      'exited',
    ]);
  });

  it('shows the platform a black-listed merchant and one that left the list', async () => {
    const listing = examples.find((e) => e.path === '/v1/listing-status');
    if (!listing) throw new Error('no listing example');
    const items = (await send(listing)).json().items as { status: { black: boolean } }[];
    expect(items[0]?.status.black).toBe(true);
    expect(items[1]?.status.black).toBe(false);
  });

  it('finds the organisation by the name a person types, and screens the merchants by name', async () => {
    const byName = examples.find((e) => e.path.startsWith('/v1/public/search'));
    const report = examples.find((e) => e.saveAs === 'report.pdf');
    const screening = examples.find((e) => e.path === '/v1/screening');
    if (!byName || !report || !screening) throw new Error('no search, PDF or screening example');
    const own = examples.find((e) => /reads its own credit report/.test(e.title));
    const organisationId = own?.path.split('/')[3];
    expect((await send(byName)).json().items[0]?.id).toBe(organisationId);
    const pdf = await send(report);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    const [listed, contradicted, unknown] = (await send(screening)).json().items as {
      ref: string;
      candidates: { matchedBy: string; listing: { status: { black: boolean } } }[];
      idConflict: unknown;
    }[];
    expect(listed?.candidates[0]).toMatchObject({
      matchedBy: 'exact_name',
      listing: { status: { black: true } },
    });
    expect(contradicted?.idConflict).not.toBeNull();
    expect(unknown?.candidates).toEqual([]);
  });

  it('lists today’s open-data files as soon as it has started, the published black-list entry in them', async () => {
    const days = (await platform.request({ url: '/v1/open-data/days' })).json();
    expect(days.items.map((d: { day: string }) => d.day)).toEqual(['2026-11-16']);
    const { manifest } = (await platform.request({ url: '/v1/open-data/days/2026-11-16/manifest' })).json();
    const full = manifest.files.find((f: { name: string }) => f.name === '2026-11-16-full.jsonl');
    expect(full.records).toBeGreaterThan(20);
    const entry = examples.find((e) => /published black-list entry/.test(e.title))?.path.split('/')[3];
    const lines = (await platform.request({ url: `/v1/open-data/days/2026-11-16/files/${full.name}` })).body;
    expect(lines).toContain(`"id":"${entry}"`);
  });

  it('shows an appraisal firm in the intermediaries’ column: its grade, accepted declaration and responsible practitioner', async () => {
    const column = (await platform.request({ url: '/v1/public/intermediaries' })).json();
    expect(column.items).toEqual([
      expect.objectContaining({
        name: '淄博正衡资产评估有限公司',
        industry: 'appraisal',
        department: 'zb-finance',
        grades: [{ domain: 'appraisal', year: 2025, grade: 'AA', department: 'zb-finance', disputed: false }],
        declarations: 1,
      }),
    ]);
    const detail = examples.find((e) => /One appraisal firm/.test(e.title));
    if (!detail) throw new Error('no intermediary example');
    const firm = (await send(detail)).json();
    expect(firm.declarations).toMatchObject([
      { acceptedBy: 'zb-finance', commitment: { signatory: '孙正衡' } },
    ]);
    const department = examples.find((e) => e.path === '/v1/declarations/awaiting-review')?.headers;
    const agency = await platform.request({
      url: `/v1/intermediaries/${firm.id}`,
      headers: department ?? {},
    });
    expect(agency.json().practitioners).toMatchObject([{ responsible: true, person: { name: '孙正衡' } }]);
    const check = examples.find(
      (e) => e.path === '/v1/checks' && e.body && (e.body as { subject: string }).subject === firm.id,
    );
    expect(check && (await send(check)).json().decision).toBe('priority');
  });
});
