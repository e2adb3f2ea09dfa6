import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '@credit/crypto';
import { reportDigest, verificationCode, verifySignedReport } from '@credit/report-document';
import { type CreditReport, optionLabel } from '@credit/schema';
import { company, push, record, type TestPlatform } from '@credit/testing';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';
import { pdfTools } from './pdf-tools.ts';

let platform: TestPlatform;
let w: World;
const tools = pdfTools();
let jwks: JSONWebKeySet;
const org = company();
const recordIds: string[] = [];
let authorisation: { id: string; token: string; subjectToken: string };
/** The agency's report as a PDF, its pages' text and the signed JSON it carries. */
let pdf: Buffer;
let pages: string[];
let signedJson: string;
let embedded: { report: CreditReport; signature: string };

const squeeze = (text: string) => text.replace(/\s+/g, '');

async function agencyReport(accept?: string) {
  return platform.request({
    url: `/v1/subjects/${org.id}/report`,
    token: w.agency.token,
    headers: { 'x-credit-authorisation': authorisation.token, ...(accept ? { accept } : {}) },
  });
}

beforeAll(async () => {
  platform = await queryPlatform();
  w = await world(platform, ['administrative_penalty', 'honour_award', 'org_registration']);
  for (const category of ['org_registration', 'administrative_penalty', 'honour_award'])
    recordIds.push((await push(platform, w.provider.token, record(category, org))).id);
  await platform.drainConsumers();
  const subjectToken = await platform.token('subject', { subject: org.id });
  const granted = await platform.request({
    method: 'POST',
    url: '/v1/authorisations',
    token: subjectToken,
    body: {
      agency: w.agency.uscc,
      purpose: 'tender',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    },
  });
  expect(granted.statusCode, granted.body).toBe(201);
  authorisation = { ...granted.json(), subjectToken };
  jwks = (await platform.request({ url: '/.well-known/jwks.json' })).json();

  const response = await agencyReport('application/pdf');
  expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
  expect(response.headers['content-type']).toBe('application/pdf');
  pdf = response.rawPayload;
  const contents = await tools.read(pdf);
  pages = contents.pages;
  signedJson = contents.signedJson ?? '';
  embedded = JSON.parse(signedJson);
}, 60_000);
afterAll(async () => {
  await tools.close();
  await platform?.close();
});

describe('the credit report as a PDF', () => {
  it('says in Chinese what the signed JSON report says, with the number, code and page numbers on every page', async () => {
    const text = squeeze(pages.join('\n'));
    expect(text).toMatch(/[\u4e00-\u9fff]/);
    expect(text).toContain('公共信用信息报告');
    const { report } = embedded;
    expect(report.audience).toBe('agency');
    expect(report.items.map((i) => i.recordId).sort()).toEqual([...recordIds].sort());
    for (const item of report.items) {
      expect(text).toContain(item.recordId);
      expect(text).toContain(squeeze(item.categoryName));
      expect(text).toContain(`发生日期${item.occurredAt}`);
      if (typeof item.data.authority === 'string') expect(text).toContain(squeeze(item.data.authority));
    }
    expect(text).toContain(squeeze(report.subject.name));
    expect(text).toContain('失信信息（1条）');
    expect(text).toContain('守信信息（1条）');
    const code = verificationCode(reportDigest(canonicalJson(report)));
    for (const [index, page] of pages.entries()) {
      const onPage = squeeze(page);
      expect(onPage).toContain(report.reportId);
      expect(onPage).toContain(`核验码${code}`);
      expect(onPage).toContain(`第${index + 1}页共${pages.length}页`);
    }

    // The same content as the JSON answer of the same route: only the number and time differ.
    const json = (await agencyReport()).json();
    const { reportId: _a, generatedAt: _b, ...jsonRest } = json.report;
    const { reportId: _c, generatedAt: _d, ...pdfRest } = report;
    expect(pdfRest).toEqual(jsonRest);
  });

  it('prints the catalogue’s Chinese label of each coded value, never the code', () => {
    const text = squeeze(pages.join('\n'));
    const coded: [string, string][] = [];
    for (const item of embedded.report.items)
      for (const [field, value] of Object.entries(item.data))
        for (const one of Array.isArray(value) ? value : [value]) {
          const label = typeof one === 'string' ? optionLabel(item.category, field, one) : undefined;
          if (label) coded.push([one as string, label]);
        }
    // The registration's status, the penalty's kinds, the honour's kind and level.
    expect(coded.length).toBeGreaterThanOrEqual(4);
    for (const [code, label] of coded) {
      expect(text).toContain(squeeze(label));
      expect(text).not.toContain(code);
    }
  });

  it('carries a QR code on its page that leads to an authentic verification', async () => {
    const page = await tools.draw(pdf, 1, 2.5);
    // Kept for a person to look at: the first page as a reader sees it.
    writeFileSync(join(tmpdir(), 'credit-report-page-1.png'), page.png);
    const url = page.qr;
    expect(url).toMatch(/^http:\/\/.+\/v1\/reports\/rpt_[0-9a-z]+\/verification\?code=/);
    const target = new URL(url ?? '');
    const verification = await platform.request({ url: `${target.pathname}${target.search}` });
    expect(verification.statusCode, verification.body).toBe(200);
    expect(verification.json()).toEqual({
      authentic: true,
      reportId: embedded.report.reportId,
      issuedAt: embedded.report.generatedAt,
      subject: `${org.name} ${org.id}`,
      digest: reportDigest(canonicalJson(embedded.report)),
      keyId: expect.any(String),
      reason: null,
    });
    expect(verification.body).not.toContain(embedded.report.items[0]?.recordId);

    const wrongCode = await platform.request({
      url: `/v1/reports/${embedded.report.reportId}/verification?code=2222-2222`,
    });
    expect(wrongCode.json()).toMatchObject({ authentic: false, digest: null, subject: null, issuedAt: null });
    const unknown = await platform.request({
      url: `/v1/reports/rpt_0000000000000000000000000000/verification?code=${target.searchParams.get('code')}`,
    });
    expect(unknown.json()).toMatchObject({ authentic: false, subject: null });
  });

  it('verifies offline with the published keys, and not once one byte of its JSON or one item is changed', async () => {
    expect(await tools.verify(pdf, jwks)).toMatchObject({
      authentic: true,
      reportId: embedded.report.reportId,
      pagesMatch: true,
    });

    // One byte of the attached JSON: a digit of a date in the report.
    const at = signedJson.indexOf('"generatedAt":"') + '"generatedAt":"'.length + 3;
    const flipped = `${signedJson.slice(0, at)}${signedJson[at] === '9' ? '8' : '9'}${signedJson.slice(at + 1)}`;
    const forged = await tools.render({
      report: JSON.parse(flipped).report,
      signedJson: flipped,
      digest: reportDigest(canonicalJson(JSON.parse(flipped).report)),
      verificationUrl: 'http://127.0.0.1/forged',
    });
    expect(await tools.verify(forged, jwks)).toMatchObject({ authentic: false });

    // One item: the penalty's amount lowered, the signature kept.
    const altered = structuredClone(embedded);
    const penalty = altered.report.items.find((i) => i.category === 'administrative_penalty');
    if (!penalty) throw new Error('no penalty in the report');
    penalty.data.amount = 1;
    expect(await verifySignedReport(JSON.stringify(altered), jwks)).toMatchObject({ authentic: false });
    // The pages drawn from the altered content around the genuine signed attachment: the number and
    // code on every page still match, but the pages no longer show what was signed.
    const repainted = await tools.render({
      report: altered.report,
      signedJson,
      digest: reportDigest(canonicalJson(embedded.report)),
      verificationUrl: 'http://127.0.0.1/forged',
    });
    expect(await tools.verify(repainted, jwks)).toMatchObject({ authentic: true, pagesMatch: false });
    const withoutItem = structuredClone(embedded);
    withoutItem.report.items = withoutItem.report.items.filter((i) => i !== withoutItem.report.items[0]);
    const shortened = await tools.render({
      report: withoutItem.report,
      signedJson,
      digest: reportDigest(canonicalJson(embedded.report)),
      verificationUrl: 'http://127.0.0.1/forged',
    });
    expect(await tools.verify(shortened, jwks)).toMatchObject({ pagesMatch: false });
    // And online: the altered content has another digest, so another code.
    const alteredCode = verificationCode(reportDigest(canonicalJson(altered.report)));
    const online = await platform.request({
      url: `/v1/reports/${altered.report.reportId}/verification?code=${alteredCode}`,
    });
    expect(online.json().authentic).toBe(false);
  });

  it('logs each issued report with its number and digest, for the subject to see who received which', async () => {
    const log = await platform.request({
      url: `/v1/subjects/${org.id}/access-log`,
      token: authorisation.subjectToken,
    });
    expect(log.statusCode, log.body).toBe(200);
    const { items, chainValid } = log.json();
    expect(chainValid).toBe(true);
    expect(items).toContainEqual(
      expect.objectContaining({
        org: w.agency.uscc,
        purpose: 'tender',
        reportId: embedded.report.reportId,
        reportDigest: reportDigest(canonicalJson(embedded.report)),
      }),
    );
  });

  it('gives GraphQL the same signed report, numbered and verifiable', async () => {
    const answer = await platform.request({
      method: 'POST',
      url: '/graphql',
      token: w.agency.token,
      body: {
        query: `query ($id: ID!, $a: String) { subject(id: $id, authorisation: $a) {
          report { number digest verificationCode signature report } } }`,
        variables: { id: org.id, a: authorisation.token },
      },
    });
    expect(answer.statusCode, answer.body).toBe(200);
    const signed = answer.json().data.subject.report;
    expect(signed.report.reportId).toBe(signed.number);
    expect(signed.digest).toBe(reportDigest(canonicalJson(signed.report)));
    expect(
      await verifySignedReport(JSON.stringify({ report: signed.report, signature: signed.signature }), jwks),
    ).toMatchObject({ authentic: true, reportId: signed.number });
    const online = await platform.request({
      url: `/v1/reports/${signed.number}/verification?code=${signed.verificationCode}`,
    });
    expect(online.json()).toMatchObject({ authentic: true, digest: signed.digest });
  });

  it('gives no report, PDF or JSON, on a revoked authorisation', async () => {
    const revoked = await platform.request({
      method: 'DELETE',
      url: `/v1/authorisations/${authorisation.id}`,
      token: authorisation.subjectToken,
    });
    expect(revoked.statusCode, revoked.body).toBeLessThan(300);
    const refused = await agencyReport('application/pdf');
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().code).toBe('authorisation_revoked');
  });
});
