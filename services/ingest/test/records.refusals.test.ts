import { citizenId, recordBody, registerProvider, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;
let provider: { code: string; token: string };

beforeAll(async () => {
  platform = await ingestPlatform();
  provider = await registerProvider(platform, [
    'administrative_penalty',
    'person_employment',
    'person_other_basic',
    'org_licence',
  ]);
});
afterAll(async () => platform?.close());

const push = (body: unknown, token = provider.token) =>
  platform.request({ method: 'POST', url: '/v1/records', token, body });

function expectProblem(response: Awaited<ReturnType<typeof push>>, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const problem = response.json();
  expect(problem).toMatchObject({
    status,
    code,
    type: `urn:credit-platform:problem:${code}`,
    title: expect.any(String),
  });
  return problem;
}

describe('refused records', () => {
  it('answers malformed JSON with 400 and an oversized body with 413', async () => {
    expectProblem(
      await platform.request({
        method: 'POST',
        url: '/v1/records',
        token: provider.token,
        rawBody: '{"sourceId": ',
      }),
      400,
      'malformed_json',
    );
    const huge = JSON.stringify(recordBody('org_licence', { data: { padding: 'x'.repeat(1_200_000) } }));
    expectProblem(
      await platform.request({ method: 'POST', url: '/v1/records', token: provider.token, rawBody: huge }),
      413,
      'payload_too_large',
    );
    expectProblem(
      await platform.request({
        method: 'POST',
        url: '/v1/records',
        token: provider.token,
        rawBody: 'a=b',
        contentType: 'text/plain',
      }),
      415,
      'unsupported_media_type',
    );
  });

  it('refuses unknown fields with their path, in data and in the envelope', async () => {
    const inData = expectProblem(
      await push(recordBody('org_licence', { data: { ...recordBody('org_licence').data, color: 'red' } })),
      422,
      'unknown_field',
    );
    expect(inData.errors).toEqual([
      { path: 'data.color', code: 'unknown_field', message: expect.any(String) },
    ]);
    const inEnvelope = expectProblem(
      await push({ ...recordBody('org_licence'), extra: 1 }),
      422,
      'unknown_field',
    );
    expect(inEnvelope.errors[0].path).toBe('extra');
    const nested = expectProblem(
      await push(
        recordBody('administrative_penalty', {
          relatedPersons: [{ role: 'legal_representative', id: citizenId(), name: '王', age: 40 }],
        }),
      ),
      422,
      'unknown_field',
    );
    expect(nested.errors[0].path).toBe('relatedPersons.0.age');
  });

  it('refuses invalid identifiers, wrong kinds and minors, naming the field', async () => {
    const bad = recordBody('org_licence');
    bad.subject.id = `${bad.subject.id.slice(0, 17)}${bad.subject.id.endsWith('0') ? '1' : '0'}`;
    expect(expectProblem(await push(bad), 422, 'invalid_identifier').errors[0].path).toBe('subject.id');

    const personAsCompany = recordBody('org_licence', {
      subject: { kind: 'legal_person', id: citizenId(), name: '某' },
    });
    expectProblem(await push(personAsCompany), 422, 'subject_kind_mismatch');

    const institutionAsCompany = recordBody('org_licence', {
      subject: { kind: 'non_enterprise_legal_person', id: uscc('91'), name: '某' },
    });
    expectProblem(await push(institutionAsCompany), 422, 'subject_kind_mismatch');

    const minor = recordBody('person_employment', {
      subject: { kind: 'natural_person', id: citizenId(2012, 2012), name: '小明' },
    });
    expectProblem(await push(minor), 422, 'subject_not_adult');

    const minorRelated = recordBody('administrative_penalty', {
      relatedPersons: [{ role: 'legal_representative', id: citizenId(2012, 2012), name: '小' }],
    });
    expect(expectProblem(await push(minorRelated), 422, 'subject_not_adult').errors[0].path).toBe(
      'relatedPersons.0.id',
    );
  });

  it('refuses an unknown category, one not applicable to the subject, and related persons where not allowed', async () => {
    expectProblem(
      await push({ ...recordBody('org_licence'), category: 'no_such_entry' }),
      422,
      'unknown_category',
    );
    const employmentOfCompany = recordBody('person_employment', {
      subject: { kind: 'legal_person', id: uscc(), name: '某公司' },
    });
    expectProblem(await push(employmentOfCompany), 422, 'category_not_applicable');
    const licenceWithPersons = recordBody('org_licence', {
      relatedPersons: [{ role: 'principal', id: citizenId(), name: '周' }],
    });
    expectProblem(await push(licenceWithPersons), 422, 'related_persons_not_allowed');
  });

  it('refuses a category the provider is not registered for with 403', async () => {
    const problem = expectProblem(await push(recordBody('exam_cheating')), 403, 'category_not_permitted');
    expect(problem.errors[0].path).toBe('category');
  });

  it('refuses an unregistered or suspended department with 403', async () => {
    const stranger = await platform.token('provider', { org: 'not-registered' });
    expectProblem(await push(recordBody('org_licence'), stranger), 403, 'provider_inactive');
    const suspended = await registerProvider(platform, ['org_licence']);
    const admin = await platform.token('admin', { org: 'credit-office' });
    await platform.request({
      method: 'PATCH',
      url: `/v1/providers/${suspended.code}`,
      token: admin,
      body: { status: 'suspended' },
    });
    expectProblem(await push(recordBody('org_licence'), suspended.token), 403, 'provider_inactive');
  });

  it('accepts consent-gated fields only with a valid written consent on file', async () => {
    const person = citizenId();
    const subject = { kind: 'natural_person', id: person, name: '刘洋' };
    const withIncome = recordBody('person_employment', {
      subject,
      data: { employer: '某公司', since: '2020-01-01', monthlyIncome: 9000 },
    });
    const required = expectProblem(await push(withIncome), 422, 'consent_required');
    expect(required.errors).toEqual([
      expect.objectContaining({ path: 'data.monthlyIncome', code: 'consent_required' }),
    ]);

    expectProblem(
      await push({ ...withIncome, consentRef: 'cns_0000000000000000000000000' }),
      422,
      'consent_invalid',
    );

    const subjectToken = await platform.token('subject', { subject: person });
    const consent = await platform.request({
      method: 'POST',
      url: '/v1/consents',
      token: subjectToken,
      body: {
        subject: { kind: 'natural_person', id: person },
        provider: provider.code,
        fields: ['income'],
        purpose: '就业信用档案',
        purposes: ['employment'],
      },
    });
    expect(consent.statusCode).toBe(201);
    const consentRef = consent.json().id;
    expect((await push({ ...withIncome, consentRef })).statusCode).toBe(201);

    const withDeposits = recordBody('person_other_basic', {
      subject,
      consentRef,
      data: { title: '资产', recordedOn: '2025-01-01', deposits: 100 },
    });
    expect(expectProblem(await push(withDeposits), 422, 'consent_invalid').detail).toContain('deposits');

    await platform.request({ method: 'DELETE', url: `/v1/consents/${consentRef}`, token: subjectToken });
    const afterRevocation = recordBody('person_employment', {
      subject,
      consentRef,
      data: { employer: '另一公司', since: '2024-01-01', monthlyIncome: 12000 },
    });
    expect(expectProblem(await push(afterRevocation), 422, 'consent_invalid').detail).toContain('revoked');

    // A consent given for one person cannot be cited for another.
    const other = recordBody('person_employment', {
      consentRef,
      data: { employer: '某', since: '2020-01-01', monthlyIncome: 1 },
    });
    expectProblem(await push(other), 422, 'consent_invalid');
  });

  it('reports several independent problems together', async () => {
    const body = recordBody('org_licence', { data: { licenceName: '', unknownA: 1 } });
    body.subject.id = 'NOT-A-USCC';
    const problem = expectProblem(await push(body), 422, 'invalid_identifier');
    const paths = problem.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['subject.id', 'data.unknownA', 'data.licenceName']));
  });

  it('never answers 500 to odd but well-formed bodies', async () => {
    for (const body of [
      null,
      [],
      'text',
      42,
      { sourceId: 7 },
      { subject: [] },
      { data: null },
      { sourceId: 'x'.repeat(500) },
    ]) {
      const response = await platform.request({
        method: 'POST',
        url: '/v1/records',
        token: provider.token,
        rawBody: JSON.stringify(body),
      });
      expect(response.statusCode, JSON.stringify(body)).toBeLessThan(500);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });
});
