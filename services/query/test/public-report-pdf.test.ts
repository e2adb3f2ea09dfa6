import { canonicalJson } from '@credit/crypto';
import { reportDigest, verificationCode } from '@credit/report-document';
import type { CreditReport } from '@credit/schema';
import { company, person, push, record, type TestPlatform } from '@credit/testing';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';
import { pdfTools } from './pdf-tools.ts';

/**
 * A clerk who receives a company's public record on paper: anyone may ask for the public
 * disclosure as a PDF, and what it holds is what the public disclosure holds, signed and numbered
 * so that the clerk can check it.
 */
let platform: TestPlatform;
let w: World;
const tools = pdfTools();
const org = company();
let jwks: JSONWebKeySet;

const squeeze = (text: string) => text.replace(/\s+/g, '');

beforeAll(async () => {
  platform = await queryPlatform();
  w = await world(platform, ['administrative_penalty', 'org_licence', 'org_registration']);
  for (const category of ['org_registration', 'administrative_penalty', 'org_licence'])
    await push(platform, w.provider.token, record(category, org));
  await platform.drainConsumers();
  jwks = (await platform.request({ url: '/.well-known/jwks.json' })).json();
}, 60_000);
afterAll(async () => {
  await tools.close();
  await platform?.close();
});

describe('the public disclosure as a PDF', () => {
  it('holds the disclosed items, signed, numbered and verifiable by whoever receives it, with no token', async () => {
    const disclosure = await platform.request({ url: `/v1/public/subjects/${org.id}` });
    expect(disclosure.statusCode).toBe(200);
    const disclosed = (disclosure.json() as { items: { recordId: string }[] }).items.map((i) => i.recordId);
    expect(disclosed.length).toBeGreaterThan(0);

    const response = await platform.request({
      url: `/v1/public/subjects/${org.id}`,
      headers: { accept: 'application/pdf' },
    });
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers.vary).toContain('Accept');
    const contents = await tools.read(response.rawPayload);
    const { report } = JSON.parse(contents.signedJson ?? 'null') as { report: CreditReport };
    expect(report.audience).toBe('public');
    expect(report.requester).toEqual({ role: 'public', org: null });
    expect(report.items.map((i) => i.recordId).sort()).toEqual([...disclosed].sort());
    const text = squeeze(contents.pages.join('\n'));
    expect(text).toContain('公示信息（社会公众查询）');
    expect(text).toContain(squeeze(org.name));
    for (const item of report.items) expect(text).toContain(item.recordId);

    expect(await tools.verify(response.rawPayload, jwks)).toMatchObject({
      authentic: true,
      pagesMatch: true,
    });
    // The QR code itself is decoded in report-pdf.test.ts; the code it carries is this one.
    const code = verificationCode(reportDigest(canonicalJson(report)));
    expect(text).toContain(`核验码${code}`);
    const verification = await platform.request({
      url: `/v1/reports/${report.reportId}/verification?code=${code}`,
    });
    expect(verification.json()).toMatchObject({ authentic: true, reportId: report.reportId });
    // Reading, drawing and verifying a PDF takes pdf.js seconds of CPU on a loaded machine.
  }, 120_000);

  it('answers a person’s number as an unknown one, PDF or not', async () => {
    const individual = person();
    const response = await platform.request({
      url: `/v1/public/subjects/${individual.id}`,
      headers: { accept: 'application/pdf' },
    });
    // A citizen id is not a USCC: refused at the path as the JSON answer refuses it, never looked up.
    const json = await platform.request({ url: `/v1/public/subjects/${individual.id}` });
    expect(response.statusCode).toBe(json.statusCode);
    expect(response.json()).toMatchObject({ code: json.json().code });
    const unknown = await platform.request({
      url: `/v1/public/subjects/${company().id}`,
      headers: { accept: 'application/pdf' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
  });
});
