import { createHash } from 'node:crypto';
import { canonicalJson, verifyDetachedWith } from '@credit/crypto';
import { ingestDefinition } from '@credit/ingest/service';
import { queryDefinition } from '@credit/query/service';
import { repairDefinition } from '@credit/repair/service';
import { sanctionsDefinition } from '@credit/sanctions/service';
import {
  exportColumns,
  exportIdItem,
  listEntryToItems,
  type OpenDataManifest,
  openDataSignatureType,
  toNationalItems,
} from '@credit/schema';
import {
  company,
  createTestPlatform,
  push,
  record,
  registerProvider,
  type TestPlatform,
  type TestSubject,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Open data end to end: cuts on successive days through the HTTP API, a mirror that applies the
 * first full file and every increment after it, and public disclosure as the judge of what the
 * mirror must hold after a correction, a withdrawal, a repair, an expiry and a list decision.
 */
let platform: TestPlatform;
let admin: string;
let provider: { code: string; token: string };
const at = (iso: string) => platform.setNow(new Date(iso));

type Row = Record<string, string>;
type Line = { op?: 'upsert' | 'delete'; preset: string; id: string; row?: Row };

async function cut(): Promise<{ manifest: OpenDataManifest; signature: string }> {
  await platform.drainConsumers();
  const checkpoint = await platform.request({
    method: 'POST',
    url: '/v1/transparency/checkpoints',
    token: admin,
  });
  expect(checkpoint.statusCode).toBeLessThan(300);
  await platform.drainConsumers();
  // Asked for as a job: answered at once with where the cut stands, followed until it is cut.
  const response = await platform.request({
    method: 'POST',
    url: '/v1/open-data/cuts',
    token: admin,
    headers: { prefer: 'respond-async' },
  });
  expect(response.statusCode, response.body).toBe(202);
  const day = response.json().day;
  expect(response.headers.location).toBe(`/v1/open-data/cuts/${day}`);
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  expect(response.json().state).toMatch(/^(running|cut)$/);
  let status = response.json();
  for (let polls = 0; status.state === 'running'; polls++) {
    expect(polls).toBeLessThan(600);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const answer = await platform.request({ url: response.headers.location as string, token: admin });
    expect(answer.statusCode, answer.body).toBe(200);
    status = answer.json();
  }
  expect(status.state).toBe('cut');
  const signed = (await platform.request({ url: `/v1/open-data/days/${day}/manifest` })).json();
  expect(signed).toEqual({ manifest: status.manifest, signature: status.signature });
  return signed;
}

async function file(day: string, name: string, headers: Record<string, string> = {}) {
  return platform.app.inject({ url: `/v1/open-data/days/${day}/files/${name}`, headers });
}

/** Every file's bytes against the manifest, and the manifest's signature against the published keys. */
async function verified(signed: { manifest: OpenDataManifest; signature: string }) {
  const jwks = (await platform.request({ url: '/.well-known/jwks.json' })).json();
  const verdict = await verifyDetachedWith(
    jwks,
    signed.signature,
    canonicalJson(signed.manifest),
    openDataSignatureType,
  );
  expect(verdict.valid).toBe(true);
  const tampered = { ...signed.manifest, files: signed.manifest.files.slice(1) };
  expect(
    (await verifyDetachedWith(jwks, signed.signature, canonicalJson(tampered), openDataSignatureType)).valid,
  ).toBe(false);
  const bodies = new Map<string, Buffer>();
  for (const meta of signed.manifest.files) {
    const response = await file(signed.manifest.day, meta.name);
    expect(response.statusCode).toBe(200);
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers.etag).toBe(`"${meta.sha256}"`);
    const body = response.rawPayload;
    expect(body.length).toBe(meta.bytes);
    expect(createHash('sha256').update(body).digest('hex')).toBe(meta.sha256);
    bodies.set(meta.name, body);
  }
  return bodies;
}

function lines(body: Buffer): Line[] {
  return body
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);
}

/** What public disclosure shows of these organisations, as national rows keyed by id. */
async function disclosed(subjects: TestSubject[]): Promise<Map<string, Row>> {
  const shown = new Map<string, Row>();
  for (const subject of subjects) {
    const answer = await platform.request({ url: `/v1/public/subjects/${subject.id}` });
    if (answer.statusCode === 404) continue;
    const body = answer.json();
    const identity = { kind: body.subject.kind, id: body.subject.uscc, name: body.subject.name };
    for (const item of body.items)
      shown.set(
        item.recordId,
        toNationalItems({
          recordId: item.recordId,
          version: item.version,
          category: item.category,
          subject: identity,
          occurredOn: item.occurredAt,
          data: item.data,
          providerCode: item.provider,
          displayUntil: item.displayUntil ? new Date(item.displayUntil) : null,
        }).row,
      );
    for (const entry of body.listEntries)
      shown.set(
        entry.id,
        listEntryToItems({
          entryId: entry.id,
          subject: identity,
          listKind: entry.listKind,
          domain: entry.domain,
          validFrom: entry.validFrom ? new Date(entry.validFrom) : null,
          validUntil: entry.validUntil ? new Date(entry.validUntil) : null,
          measures: entry.measures,
        }).row,
      );
  }
  return shown;
}

/** The mirror's rows of these organisations only (other tests' rows share the database). */
function mirrorOf(mirror: Map<string, Row>, subjects: TestSubject[]): Map<string, Row> {
  const ids = new Set(subjects.map((s) => s.id));
  return new Map([...mirror].filter(([, row]) => ids.has(row.统一社会信用代码 ?? '')));
}

const penalty = (org: TestSubject, overrides: Record<string, unknown> = {}) =>
  record('administrative_penalty', org, { occurredAt: '2026-01-10', ...overrides });

async function startPlatform() {
  platform = await createTestPlatform([
    ingestDefinition,
    {
      ...queryDefinition,
      options: {
        openDataEveryMs: 0,
        openData: { batchSize: 3, chunkBytes: 512 },
      },
    },
    { ...sanctionsDefinition, options: { dailyCheckMs: 0 } },
    { ...repairDefinition, options: { expiryEveryMs: 0, calendarWatchMs: 0 } },
  ]);
  at('2026-05-11T02:00:00Z');
  admin = await platform.token('admin', { org: 'credit-office' });
  provider = await registerProvider(platform, ['administrative_penalty', 'org_licence', 'credit_commitment']);
  const rule = await platform.request({
    method: 'POST',
    url: '/v1/rules',
    token: admin,
    body: {
      definition: {
        code: 'open-data-serious',
        name: '严重违法失信',
        kind: 'black',
        domain: 'general',
        subjectKinds: ['legal_person'],
        identifyingDepartment: provider.code,
        condition: {
          type: 'records',
          match: { entries: ['administrative_penalty'], severities: ['serious'] },
          minCount: 1,
        },
        objectionWindowWorkingDays: 1,
      },
    },
  });
  expect(rule.statusCode, rule.body).toBe(201);
}

describe('open data', () => {
  beforeAll(async () => startPlatform());
  afterAll(async () => platform?.close());

  // Four cuts, each with pushes and drains between them: allowed more than the 30 s default on a
  // busy two-core machine.
  it('gives a mirror that applies the full file and then each increment exactly what public disclosure shows', async () => {
    const orgs = [
      company('淄博甲陶瓷有限公司'),
      company('淄博乙化工有限公司'),
      company('淄博丙食品有限公司'),
    ];
    const [a, b, c] = orgs as [TestSubject, TestSubject, TestSubject];
    const corrected = penalty(a);
    await push(platform, provider.token, corrected);
    const withdrawn = penalty(a, { data: { ...corrected.data, documentNumber: '淄张市监罚〔2026〕9号' } });
    await push(platform, provider.token, withdrawn);
    // Shown until 2026-05-20 (a general penalty, one year).
    const expiring = penalty(b, { occurredAt: '2025-05-20' });
    const { id: expiringId } = await push(platform, provider.token, expiring);
    const { id: repairedId } = await push(platform, provider.token, penalty(b));
    await push(platform, provider.token, record('org_licence', c, { occurredAt: '2026-04-01' }));
    await push(platform, provider.token, record('credit_commitment', c, { occurredAt: '2026-04-02' }));
    const serious = penalty(c, {
      data: { ...corrected.data, severity: 'serious', documentNumber: '淄张市监罚〔2026〕77号' },
    });
    await push(platform, provider.token, serious);

    // Day 1: the first cut. Its full file is the mirror's start.
    const first = await cut();
    expect(first.manifest).toMatchObject({ day: '2026-05-11', previousDay: null });
    expect(first.manifest.checkpoint?.treeSize).toBeGreaterThan(0);
    const firstFiles = await verified(first);
    const mirror = new Map<string, Row>();
    for (const line of lines(firstFiles.get('2026-05-11-full.jsonl') as Buffer))
      mirror.set(line.id, line.row as Row);
    expect(mirrorOf(mirror, orgs)).toEqual(await disclosed(orgs));
    expect(mirrorOf(mirror, orgs).size).toBe(6);

    // The CSV of a preset holds the same rows, after a BOM and the national items as its header.
    const penaltiesCsv = (firstFiles.get('2026-05-11-full-shuanggongshi-penalty.csv') as Buffer).toString(
      'utf8',
    );
    expect(penaltiesCsv.startsWith(`\uFEFF${exportColumns['shuanggongshi-penalty'].join(',')}\r\n`)).toBe(
      true,
    );
    expect(penaltiesCsv).toContain(`,${repairedId},`);

    // A range of a file is those bytes of it.
    const whole = firstFiles.get('2026-05-11-full.jsonl') as Buffer;
    const partial = await file('2026-05-11', '2026-05-11-full.jsonl', { range: 'bytes=700-1500' });
    expect(partial.statusCode).toBe(206);
    expect(partial.headers['content-range']).toBe(`bytes 700-1500/${whole.length}`);
    expect(partial.rawPayload.equals(whole.subarray(700, 1501))).toBe(true);
    const tail = await file('2026-05-11', '2026-05-11-full.jsonl', { range: 'bytes=-10' });
    expect(tail.rawPayload.equals(whole.subarray(whole.length - 10))).toBe(true);
    const beyond = await file('2026-05-11', '2026-05-11-full.jsonl', { range: `bytes=${whole.length}-` });
    expect(beyond.statusCode).toBe(416);

    // Day 2: a correction, a withdrawal, a repair, and the list entry published.
    at('2026-05-13T02:00:00Z');
    const fix = await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${corrected.sourceId}`,
      token: provider.token,
      body: {
        ...corrected,
        sourceId: undefined,
        data: { ...corrected.data, amount: 60000 },
        reason: '金额更正',
      },
    });
    expect(fix.statusCode, fix.body).toBe(200);
    const gone = await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${withdrawn.sourceId}`,
      token: provider.token,
      body: { reasonCode: 'entered_in_error', reason: '重复报送' },
    });
    expect(gone.statusCode, gone.body).toBe(200);
    const own = await platform.token('subject', { subject: b.id });
    const repair = await platform.request({
      method: 'POST',
      url: '/v1/repairs',
      token: own,
      body: {
        target: { type: 'record', id: repairedId },
        obligationPerformed: true,
        evidence: [{ description: '罚款缴纳凭证' }],
        commitment: '本单位承诺今后依法诚信经营，自觉接受监督。',
      },
    });
    expect(repair.statusCode, repair.body).toBe(201);
    for (const [action, token] of [
      ['accept', admin],
      ['approve', provider.token],
    ] as const) {
      const step = await platform.request({
        method: 'POST',
        url: `/v1/repairs/${repair.json().id}/steps`,
        token,
        body: { action, note: action },
      });
      expect(step.statusCode, step.body).toBe(200);
    }
    await platform.drainConsumers();
    const [entry] = (await platform.request({ url: '/v1/list-entries?status=noticed', token: admin }))
      .json()
      .items.filter((e: { subject: { id: string } }) => e.subject.id === c.id);
    const decided = await platform.request({
      method: 'POST',
      url: `/v1/list-entries/${entry.id}/decision`,
      token: await platform.token('government', { org: provider.code }),
      body: { decision: 'publish', note: '认定' },
    });
    expect(decided.statusCode, decided.body).toBe(200);

    const applied: OpenDataManifest[] = [];
    const apply = async (signed: { manifest: OpenDataManifest; signature: string }) => {
      const bodies = await verified(signed);
      expect(signed.manifest.previousDay).toBe((applied.at(-1) ?? first.manifest).day);
      for (const line of lines(bodies.get(`${signed.manifest.day}-increment.jsonl`) as Buffer)) {
        if (line.op === 'delete') mirror.delete(line.id);
        else mirror.set(line.id, line.row as Row);
      }
      applied.push(signed.manifest);
      // The day's full file is the mirror too.
      const full = new Map(
        lines(bodies.get(`${signed.manifest.day}-full.jsonl`) as Buffer).map((l) => [l.id, l.row]),
      );
      expect(mirrorOf(full as Map<string, Row>, orgs)).toEqual(mirrorOf(mirror, orgs));
      return bodies;
    };
    const second = await apply(await cut());
    const shownOnDay2 = await disclosed(orgs);
    expect(mirrorOf(mirror, orgs)).toEqual(shownOnDay2);
    expect(shownOnDay2.has(repairedId)).toBe(false);
    expect([...shownOnDay2.values()].some((row) => row.名单类型 !== undefined)).toBe(true);
    const deletions = lines(second.get('2026-05-13-increment.jsonl') as Buffer).filter(
      (l) => l.op === 'delete',
    );
    expect(deletions.map((l) => l.id)).toEqual(expect.arrayContaining([repairedId]));
    // In CSV a deletion names only the item's id.
    const emptyBefore = ','.repeat(exportColumns['shuanggongshi-penalty'].indexOf(exportIdItem));
    expect(
      (second.get('2026-05-13-increment-shuanggongshi-penalty.csv') as Buffer).toString('utf8'),
    ).toContain(`delete,${emptyBefore}${repairedId},`);

    // Day 3, past the display period of the 2025 penalty: it leaves as a deletion.
    at('2026-05-21T02:00:00Z');
    await apply(await cut());
    const shownOnDay3 = await disclosed(orgs);
    expect(shownOnDay3.has(expiringId)).toBe(false);
    expect(mirrorOf(mirror, orgs)).toEqual(shownOnDay3);

    // Cutting the same day again answers the cut already made, at once whatever the preference.
    for (const prefer of [undefined, 'respond-async']) {
      const again = await platform.request({
        method: 'POST',
        url: '/v1/open-data/cuts',
        token: admin,
        headers: prefer ? { prefer } : {},
      });
      expect(again.statusCode).toBe(200);
      expect(again.headers.location).toBe('/v1/open-data/days/2026-05-21/manifest');
      expect(again.json()).toMatchObject({ day: '2026-05-21', state: 'cut', manifest: applied.at(-1) });
    }
    // The status of a day cut, and of a day neither cut nor asked for.
    const cutDay = await platform.request({ url: '/v1/open-data/cuts/2026-05-13', token: admin });
    expect(cutDay.json()).toMatchObject({ day: '2026-05-13', state: 'cut' });
    const never = await platform.request({ url: '/v1/open-data/cuts/2026-05-14', token: admin });
    expect(never.statusCode).toBe(404);
    expect(never.json().code).toBe('not_found');
    const anonymous = await platform.request({ url: '/v1/open-data/cuts/2026-05-13' });
    expect(anonymous.statusCode).toBe(401);
    const days = (await platform.request({ url: '/v1/open-data/days?limit=2' })).json();
    expect(days.items.map((d: { day: string }) => d.day)).toEqual(['2026-05-21', '2026-05-13']);
    expect(days.next).toBeDefined();
  }, 120_000);

  it('refuses a day that is not on the calendar as a bad path parameter, not a database error', async () => {
    for (const day of ['2026-02-30', '0117-20-87', '0000-01-01']) {
      for (const url of [`/v1/open-data/days/${day}/manifest`, `/v1/open-data/days/${day}/files/x.jsonl`]) {
        const answer = await platform.request({ url });
        expect(answer.statusCode, url).toBe(400);
        expect(answer.json().code, url).toBe('bad_request');
      }
    }
  });
});
