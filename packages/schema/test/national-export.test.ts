import { describe, expect, it } from 'vitest';
import {
  type ExportRecord,
  exportColumns,
  fromNationalItems,
  generateCitizenId,
  generateUscc,
  listEntryToItems,
  nationalAmountYuan,
  seededRandom,
  sortedJson,
  toNationalItems,
  yuanToWanYuan,
} from '../src/index.ts';

const random = seededRandom(2020);
const now = new Date('2026-06-01T00:00:00Z');

function penalty(overrides: Partial<ExportRecord> = {}): ExportRecord {
  return {
    recordId: 'rec_01penalty',
    version: 2,
    category: 'administrative_penalty',
    subject: { kind: 'legal_person', id: generateUscc(random), name: '淄博某化工有限公司' },
    occurredOn: '2026-03-18',
    providerCode: 'zb-env',
    displayUntil: new Date('2029-03-18T15:59:59Z'),
    data: {
      documentNumber: '淄环罚〔2026〕12号',
      authority: '淄博市生态环境局',
      authorityUscc: generateUscc(random, '11'),
      decidedOn: '2026-03-18',
      violation: '超标排放大气污染物',
      facts: '2026年3月监测发现颗粒物排放浓度超标',
      legalBasis: '《中华人民共和国大气污染防治法》第九十九条',
      penaltyKinds: ['fine', 'confiscation', 'licence_revocation'],
      content: '罚款二十万零五千元',
      amount: 205_000,
      confiscatedYuan: 1.23,
      licencesAffected: '排污许可证 9137',
    },
    ...overrides,
  };
}

describe('exporting catalogue records as national items', () => {
  it('writes 万元 in decimal, the inverse of reading them', () => {
    for (const yuan of [0, 1, 1.23, 205_000, 50_000, 12_345_678.9, 0.01])
      expect(nationalAmountYuan(yuanToWanYuan(yuan), '万元')).toBe(yuan);
    expect(yuanToWanYuan(205_000)).toBe('20.5');
    expect(yuanToWanYuan(1)).toBe('0.0001');
    expect(yuanToWanYuan(0.01)).toBe('0.000001');
    expect(() => yuanToWanYuan(-1)).toThrow(RangeError);
  });

  it('gives a penalty every item of the national table, in order, that the import preset reads back as the same record', () => {
    const record = penalty();
    const { preset, row } = toNationalItems(record);
    expect(preset).toBe('shuanggongshi-penalty');
    expect(Object.keys(row)).toEqual(exportColumns['shuanggongshi-penalty']);
    expect(row).toMatchObject({
      行政相对人类别: '法人及非法人组织',
      统一社会信用代码: record.subject.id,
      处罚类别: '罚款;没收违法所得、没收非法财物;吊销许可证件',
      罚款金额: '20.5',
      '没收违法所得、没收非法财物的金额': '0.000123',
      公示截止期: '2029-03-18',
      数据来源单位: 'zb-env',
      工商注册号: '',
      法定代表人: '',
      平台记录编号: 'rec_01penalty',
      平台记录版本: '2',
    });
    const back = fromNationalItems('shuanggongshi-penalty', row, now);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.record.data).toEqual(record.data);
    expect(back.record.subject).toEqual(record.subject);
    expect(back.record.occurredAt).toBe(record.occurredOn);
  });

  it('names the legal representative only when the caller passes related persons (never in open data)', () => {
    const id = generateCitizenId(random);
    const named = toNationalItems(
      penalty({ relatedPersons: [{ role: 'legal_representative', name: '王某', id }] }),
    );
    expect(named.row).toMatchObject({
      法定代表人: '王某',
      法定代表人证件类型: '身份证',
      法定代表人证件号码: id,
    });
    const back = fromNationalItems('shuanggongshi-penalty', named.row, now);
    expect(back.ok && back.record.relatedPersons).toEqual([
      { role: 'legal_representative', id, name: '王某' },
    ]);
  });

  it('writes a licence that the licence preset reads back, a 个体工商户 and a natural person by their category', () => {
    const record: ExportRecord = {
      recordId: 'rec_01licence',
      version: 1,
      category: 'org_licence',
      subject: { kind: 'unincorporated_org', id: generateUscc(random, '92'), name: '张店区某小吃店' },
      occurredOn: '2024-05-06',
      providerCode: 'zb-market',
      source: { name: '淄博市张店区市场监督管理局', uscc: generateUscc(random, '11') },
      data: {
        licenceName: '食品经营许可证',
        licenceNumber: 'JY13703030012345',
        licenceType: 'permit',
        issuingAuthority: '淄博市张店区市场监督管理局',
        decidedOn: '2024-05-06',
        validFrom: '2024-05-06',
        validUntil: '2029-05-05',
      },
    };
    const { preset, row } = toNationalItems(record);
    expect(preset).toBe('shuanggongshi-licence');
    expect(Object.keys(row)).toEqual(exportColumns['shuanggongshi-licence']);
    expect(row).toMatchObject({
      行政相对人类别: '个体工商户',
      许可类别: '普通',
      有效期至: '2029-05-05',
      公示截止期: '',
      数据来源单位: '淄博市张店区市场监督管理局',
    });
    const back = fromNationalItems('shuanggongshi-licence', row, now);
    expect(back.ok && back.record.data).toEqual(record.data);
    expect(back.ok && back.record.subject).toEqual(record.subject);

    const person = toNationalItems(
      penalty({ subject: { kind: 'natural_person', id: generateCitizenId(random), name: '李某' } }),
    );
    expect(person.row).toMatchObject({ 行政相对人类别: '自然人', 证件类型: '身份证', 统一社会信用代码: '' });
  });

  it('lists entries with no national item set in the platform extension shapes', () => {
    const uscc = generateUscc(random);
    const commitment = toNationalItems({
      recordId: 'rec_01commit',
      version: 3,
      category: 'credit_commitment',
      subject: { kind: 'legal_person', id: uscc, name: '淄博某公司' },
      occurredOn: '2026-02-01',
      providerCode: 'zb-dev',
      data: { scope: { b: 1, a: 2 }, commitmentKind: 'notification' },
    });
    expect(commitment.preset).toBe('platform-record');
    expect(Object.keys(commitment.row)).toEqual(exportColumns['platform-record']);
    expect(commitment.row.信息类别代码).toBe('credit_commitment');
    expect(commitment.row.信息内容).toBe('{"commitmentKind":"notification","scope":{"a":2,"b":1}}');

    const entry = listEntryToItems({
      entryId: 'ent_01black',
      subject: { kind: 'legal_person', id: uscc, name: '淄博某公司' },
      listKind: 'black',
      domain: 'general',
      validFrom: new Date('2026-01-01T00:00:00Z'),
      validUntil: null,
      measures: ['restrict_public_funds', 'restrict_bidding'],
    });
    expect(entry.preset).toBe('platform-list-entry');
    expect(Object.keys(entry.row)).toEqual(exportColumns['platform-list-entry']);
    expect(entry.row).toMatchObject({
      名单类型: '失信惩戒名单（黑名单）',
      有效期自: '2026-01-01T00:00:00.000Z',
      有效期至: '',
      联合奖惩措施: 'restrict_public_funds;restrict_bidding',
      平台记录编号: 'ent_01black',
      平台记录版本: '1',
    });
  });

  it('writes 信息内容 as JSON.stringify writes a copy with sorted keys, array indexes first as an object holds them', () => {
    const content = {
      b: 'x"y',
      a: { z: [{ y: 1, x: undefined, w: null }, undefined, 2.5], '10': true, '2': '中', '01': 0 },
    };
    expect(sortedJson(content)).toBe(
      '{"a":{"2":"中","10":true,"01":0,"z":[{"w":null,"y":1},null,2.5]},"b":"x\\"y"}',
    );
    expect(sortedJson({})).toBe('{}');
    expect(sortedJson([])).toBe('[]');
  });
});
