import { shanghaiDate } from '@credit/calendar';
import { catalogueEntries } from '@credit/schema';
import { company, push, record, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

let platform: TestPlatform;
let w: World;

const organisationEntries = catalogueEntries.filter((entry) => entry.subjectKinds.includes('legal_person'));

beforeAll(async () => {
  platform = await queryPlatform();
  w = await world(
    platform,
    organisationEntries.map((entry) => entry.code),
  );
});
afterAll(async () => platform?.close());

/** Sample data still within any validity field it carries, so only the catalogue decides. */
function current(category: string): Record<string, unknown> {
  const entry = organisationEntries.find((e) => e.code === category);
  if (!entry) throw new Error(category);
  const data: Record<string, unknown> = { ...entry.sample };
  if (entry.displayUntilField && entry.displayUntilField in data)
    data[entry.displayUntilField] = '2099-12-31';
  return data;
}

/** Today in Asia/Shanghai: every entry's display period has begun and none has run out. */
function today(): string {
  return shanghaiDate(new Date());
}

function recordIds(body: { items: { recordId: string }[] }): string[] {
  return body.items.map((item) => item.recordId);
}

describe('public disclosure follows the catalogue’s publicity marks', () => {
  it('shows court judgement debtors, commitments, honours and good-credit items with everything else the catalogue marks public', async () => {
    const org = company();
    const pushed = new Map<string, string>();
    // A record that refers to another (a breach to its commitment) comes after the one it names.
    const referringLast = [...organisationEntries].sort(
      (a, b) => Number(a.refersTo !== undefined) - Number(b.refersTo !== undefined),
    );
    for (const entry of referringLast) {
      // Minor severity is never published, whatever the entry says: push the entry's default.
      const data = current(entry.code);
      delete data.severity;
      if (entry.refersTo) data[entry.refersTo.field] = pushed.get(entry.refersTo.entry);
      const { id } = await push(
        platform,
        w.provider.token,
        record(entry.code, org, { occurredAt: today(), data }),
      );
      pushed.set(entry.code, id);
    }
    await platform.drainConsumers();

    const response = await platform.request({ url: `/v1/public/subjects/${org.id}` });
    expect(response.statusCode, response.body).toBe(200);
    const shown = recordIds(response.json());
    for (const code of [
      'dishonest_judgement_debtor',
      'credit_commitment',
      'credit_commitment_breach',
      'honour_award',
      'industry_credit_grade',
      'org_registration',
      'org_licence',
      'administrative_penalty',
      'administrative_penalty_summary',
    ]) {
      expect(shown, code).toContain(pushed.get(code));
    }
    for (const code of ['fee_fund_arrears', 'org_other_basic', 'org_other_dishonesty']) {
      expect(shown, code).not.toContain(pushed.get(code));
    }
    const publicEntries = organisationEntries.filter(
      (entry) => entry.publicity === 'public' && entry.severity?.default !== 'minor',
    );
    expect(shown.sort()).toEqual(publicEntries.map((entry) => pushed.get(entry.code)).sort());
    const item = response
      .json()
      .items.find((i: { recordId: string }) => i.recordId === pushed.get('dishonest_judgement_debtor'));
    expect(item).toMatchObject({ category: 'dishonest_judgement_debtor', class: 'dishonesty' });
  });

  it('applies the same display periods and standing as reports: expired, withdrawn and minor items stay hidden', async () => {
    const org = company();
    const expiredHonour = await push(
      platform,
      w.provider.token,
      record('honour_award', org, { occurredAt: '2022-03-01', data: current('honour_award') }),
    );
    const lapsedCommitment = await push(
      platform,
      w.provider.token,
      record('credit_commitment', org, {
        data: { ...current('credit_commitment'), validUntil: '2026-02-01' },
      }),
    );
    const minorTaxArrears = await push(
      platform,
      w.provider.token,
      record('tax_social_insurance_arrears', org, {
        data: { ...current('tax_social_insurance_arrears'), severity: 'minor' },
      }),
    );
    const debtor = record('dishonest_judgement_debtor', org, { data: current('dishonest_judgement_debtor') });
    const withdrawn = await push(platform, w.provider.token, debtor);
    await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${debtor.sourceId}`,
      token: w.provider.token,
      body: { reasonCode: 'court_removed', reason: '法院已屏蔽失信信息' },
    });
    const honour = await push(
      platform,
      w.provider.token,
      record('honour_award', org, { data: current('honour_award') }),
    );
    await platform.drainConsumers();

    const shown = recordIds((await platform.request({ url: `/v1/public/subjects/${org.id}` })).json());
    expect(shown).toEqual([honour.id]);
    for (const hidden of [expiredHonour, lapsedCommitment, minorTaxArrears, withdrawn]) {
      expect(shown).not.toContain(hidden.id);
    }
  });
});
