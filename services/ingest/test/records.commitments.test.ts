import { pushBatch, recordBody, registerProvider, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;
let approvals: { code: string; token: string };
let regulator: { code: string; token: string };

beforeAll(async () => {
  platform = await ingestPlatform();
  // The department that accepted the commitment is not always the one that finds it broken.
  approvals = await registerProvider(platform, ['credit_commitment']);
  regulator = await registerProvider(platform, ['credit_commitment_breach']);
});
afterAll(async () => platform?.close());

const push = (body: unknown, token: string) =>
  platform.request({ method: 'POST', url: '/v1/records', token, body });

const company = () => ({ kind: 'legal_person', id: uscc(), name: '淄博承诺测试有限公司' });

function breachOf(subject: ReturnType<typeof company>, commitmentRef: string) {
  const body = recordBody('credit_commitment_breach', { subject });
  return { ...body, data: { ...body.data, commitmentRef } };
}

/** A record's content without its sourceId, which the correction's path names. */
function correctionOf(record: ReturnType<typeof breachOf>) {
  const { sourceId: _sourceId, ...content } = record;
  return content;
}

describe('a breach refers to a commitment on file', () => {
  it('refuses a breach of a commitment that is not on file, or not of this subject', async () => {
    const org = company();
    const refused = await push(breachOf(org, 'XZSP-CN-2024-0088'), regulator.token);
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      code: 'commitment_not_found',
      errors: [{ path: 'data.commitmentRef', code: 'commitment_not_found' }],
    });

    const other = company();
    const commitment = recordBody('credit_commitment', { subject: other });
    expect((await push(commitment, approvals.token)).statusCode).toBe(201);
    expect((await push(breachOf(org, commitment.sourceId), regulator.token)).json().code).toBe(
      'commitment_not_found',
    );
  });

  it('accepts a breach naming the commitment by its sourceId or by the platform’s record id', async () => {
    const org = company();
    const commitment = recordBody('credit_commitment', { subject: org });
    const created = await push(commitment, approvals.token);
    expect(created.statusCode).toBe(201);
    expect((await push(breachOf(org, commitment.sourceId), regulator.token)).statusCode).toBe(201);
    expect((await push(breachOf(org, created.json().id), regulator.token)).statusCode).toBe(201);
  });

  it('refuses a breach of a withdrawn commitment, and a correction that names a missing one', async () => {
    const org = company();
    const commitment = recordBody('credit_commitment', { subject: org });
    await push(commitment, approvals.token);
    const breach = breachOf(org, commitment.sourceId);
    expect((await push(breach, regulator.token)).statusCode).toBe(201);

    const correction = await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${breach.sourceId}`,
      token: regulator.token,
      body: { ...correctionOf(breachOf(org, 'NO-SUCH-COMMITMENT')), reason: '更正承诺编号' },
    });
    expect(correction.statusCode, correction.body).toBe(422);
    expect(correction.json().code).toBe('commitment_not_found');

    await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${commitment.sourceId}`,
      token: approvals.token,
      body: { reason: '承诺书录入错误', reasonCode: 'entered_in_error' },
    });
    const late = await push(breachOf(org, commitment.sourceId), regulator.token);
    expect(late.json()).toMatchObject({ code: 'commitment_not_found' });
    expect(late.json().detail).toContain('withdrawn');
  });

  it('answers each item of a batch, taking a commitment pushed earlier in the same batch', async () => {
    const both = await registerProvider(platform, ['credit_commitment', 'credit_commitment_breach']);
    const org = company();
    const commitment = recordBody('credit_commitment', { subject: org });
    const response = await pushBatch(platform, both.token, [
      commitment,
      breachOf(org, commitment.sourceId),
      breachOf(org, 'NO-SUCH-COMMITMENT'),
    ]);
    expect(response.statusCode, response.body).toBe(200);
    const items = response.json().items as { status: number; problem?: { code: string } }[];
    expect(items.map((i) => i.status)).toEqual([201, 201, 422]);
    expect(items[2]?.problem?.code).toBe('commitment_not_found');
  });
});
