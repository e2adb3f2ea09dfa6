import { describe, expect, it } from 'vitest';
import {
  fromNationalItems,
  generateCitizenId,
  generateUscc,
  matchNationalHeader,
  nationalAmountYuan,
  nationalDate,
  nationalItemOf,
  nationalSourceId,
  seededRandom,
  validateRecordInput,
} from '../src/index.ts';

const random = seededRandom(20);
const now = new Date('2026-06-01T00:00:00Z');

function penaltyRow(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    行政相对人名称: '淄博某化工有限公司',
    行政相对人类别: '法人及非法人组织',
    '行政相对人代码_1（统一社会信用代码）': generateUscc(random),
    法定代表人: '王某',
    法定代表人证件类型: '身份证',
    法定代表人证件号码: generateCitizenId(random),
    行政处罚决定书文号: '淄环罚〔2026〕12号',
    违法行为类型: '超标排放大气污染物',
    违法事实: '2026年3月监测发现颗粒物排放浓度超标',
    处罚依据: '《中华人民共和国大气污染防治法》第九十九条',
    处罚类别: '罚款;没收违法所得、没收非法财物',
    处罚内容: '罚款二十万元，没收违法所得',
    '罚款金额（万元）': '20.5',
    '没收违法所得、没收非法财物的金额（万元）': '0.0001',
    处罚决定日期: '2026/03/18',
    公示截止期: '2029/03/18',
    处罚机关: '淄博市生态环境局',
    处罚机关统一社会信用代码: generateUscc(random, '11'),
    数据来源单位: '淄博市生态环境局',
    备注: '',
    ...overrides,
  };
}

describe('the national 双公示 items', () => {
  it('reads the date forms national files carry as plain dates, and refuses days that do not exist', () => {
    expect(nationalDate('2026-03-18')).toBe('2026-03-18');
    expect(nationalDate('2026/3/8')).toBe('2026-03-08');
    expect(nationalDate('20260318')).toBe('2026-03-18');
    expect(nationalDate('2026年3月18日')).toBe('2026-03-18');
    expect(nationalDate('2026-03-18 00:00:00')).toBe('2026-03-18');
    expect(nationalDate('2026-02-30')).toBeNull();
    expect(nationalDate('18/03/2026')).toBeNull();
  });

  it('turns 万元 into yuan in decimal, refusing what is finer than a fen', () => {
    expect(nationalAmountYuan('20.5', '万元')).toBe(205_000);
    expect(nationalAmountYuan('0.0001', '万元')).toBe(1);
    expect(nationalAmountYuan('0.000123', '万元')).toBe(1.23);
    expect(nationalAmountYuan('1,234.56', '元')).toBe(1234.56);
    expect(nationalAmountYuan('0.0000001', '万元')).toBeNull();
    expect(nationalAmountYuan('-3', '万元')).toBeNull();
    expect(nationalAmountYuan('二十', '万元')).toBeNull();
  });

  it('knows headers by the standard’s names, older numbered names and units in brackets', () => {
    expect(
      matchNationalHeader('shuanggongshi-penalty', '行政相对人代码_1(统一社会信用代码)')?.item.name,
    ).toBe('统一社会信用代码');
    expect(
      matchNationalHeader('shuanggongshi-penalty', '行政相对人代码_2（工商注册号）')?.item,
    ).toMatchObject({
      name: '工商注册号',
      target: null,
    });
    expect(matchNationalHeader('shuanggongshi-penalty', '罚款金额（元）')).toMatchObject({
      item: { name: '罚款金额' },
      unit: '元',
    });
    expect(matchNationalHeader('shuanggongshi-penalty', ' 罚款金额 ')).toMatchObject({ unit: '万元' });
    expect(matchNationalHeader('shuanggongshi-licence', '罚款金额')).toBeUndefined();
  });

  it('converts a penalty row into a record the catalogue accepts', () => {
    const row = penaltyRow();
    const converted = fromNationalItems('shuanggongshi-penalty', row, now);
    if (!converted.ok) throw new Error(JSON.stringify(converted.errors));
    const uscc = row['行政相对人代码_1（统一社会信用代码）'] as string;
    expect(converted.record).toEqual({
      sourceId: nationalSourceId('shuanggongshi-penalty', '淄环罚〔2026〕12号', uscc),
      category: 'administrative_penalty',
      subject: { kind: 'legal_person', id: uscc, name: '淄博某化工有限公司' },
      occurredAt: '2026-03-18',
      data: {
        documentNumber: '淄环罚〔2026〕12号',
        violation: '超标排放大气污染物',
        facts: '2026年3月监测发现颗粒物排放浓度超标',
        legalBasis: '《中华人民共和国大气污染防治法》第九十九条',
        penaltyKinds: ['fine', 'confiscation'],
        content: '罚款二十万元，没收违法所得',
        amount: 205_000,
        confiscatedYuan: 1,
        decidedOn: '2026-03-18',
        authority: '淄博市生态环境局',
        authorityUscc: row.处罚机关统一社会信用代码,
      },
      relatedPersons: [{ role: 'legal_representative', id: row.法定代表人证件号码, name: '王某' }],
    });
    expect(validateRecordInput(converted.record, 'submission', now).ok).toBe(true);
    // The same row names the same record; another party of the same decision another.
    const again = fromNationalItems('shuanggongshi-penalty', { ...row }, now);
    expect(again.ok && again.record.sourceId).toBe(converted.record.sourceId);
    const other = fromNationalItems(
      'shuanggongshi-penalty',
      { ...row, '行政相对人代码_1（统一社会信用代码）': generateUscc(random) },
      now,
    );
    expect(other.ok && other.record.sourceId).not.toBe(converted.record.sourceId);
  });

  it('tells the subject’s kind from 行政相对人类别 and the code', () => {
    const kindOf = (overrides: Record<string, unknown>) => {
      const converted = fromNationalItems('shuanggongshi-penalty', penaltyRow(overrides), now);
      if (!converted.ok) throw new Error(JSON.stringify(converted.errors));
      return (converted.record.subject as { kind: string }).kind;
    };
    expect(kindOf({})).toBe('legal_person');
    expect(kindOf({ 行政相对人名称: '淄博某化工有限公司张店分公司' })).toBe('unincorporated_org');
    expect(kindOf({ '行政相对人代码_1（统一社会信用代码）': generateUscc(random, '12') })).toBe(
      'non_enterprise_legal_person',
    );
    expect(
      kindOf({
        行政相对人类别: '个体工商户',
        '行政相对人代码_1（统一社会信用代码）': generateUscc(random, '92'),
      }),
    ).toBe('unincorporated_org');
    const person = generateCitizenId(random);
    expect(
      kindOf({
        行政相对人类别: '自然人',
        行政相对人名称: '李某',
        '行政相对人代码_1（统一社会信用代码）': '',
        证件类型: '身份证',
        证件号码: person,
      }),
    ).toBe('natural_person');
  });

  it('refuses a row naming the national items, every problem at once', () => {
    const converted = fromNationalItems(
      'shuanggongshi-penalty',
      penaltyRow({
        行政相对人类别: '企业',
        处罚决定日期: '2026-13-01',
        '罚款金额（万元）': '二十',
        处罚类别: '罚款;训诫',
        违法事实: '',
      }),
      now,
    );
    expect(converted.ok).toBe(false);
    if (converted.ok) return;
    const named = converted.errors.map((e) => [e.item, e.path]);
    expect(named).toEqual(
      expect.arrayContaining([
        ['行政相对人类别', 'subject.kind'],
        ['处罚决定日期', 'data.decidedOn'],
        ['罚款金额', 'data.amount'],
        ['处罚类别', 'data.penaltyKinds'],
        ['违法事实', 'data.facts'],
      ]),
    );
    for (const error of converted.errors) expect(error.message.startsWith(`${error.item}:`)).toBe(true);
  });

  it('names the item a platform refusal concerns by where the value came from', () => {
    expect(nationalItemOf('shuanggongshi-penalty', 'subject.id', { 'subject.id': '证件号码' })).toBe(
      '证件号码',
    );
    expect(nationalItemOf('shuanggongshi-penalty', 'subject.id')).toBe('统一社会信用代码');
    expect(nationalItemOf('shuanggongshi-penalty', 'data.penaltyKinds.1')).toBe('处罚类别');
    expect(nationalItemOf('shuanggongshi-licence', 'data.licenceName')).toBe('许可证书名称');
    expect(nationalItemOf('shuanggongshi-licence', 'data.validUntil')).toBe('有效期至');
  });

  it('converts a licence row, 许可类别 to the licence type and 长期 to no end', () => {
    const uscc = generateUscc(random);
    const converted = fromNationalItems(
      'shuanggongshi-licence',
      {
        行政相对人名称: '淄博某食品有限公司',
        行政相对人类别: '法人及非法人组织',
        统一社会信用代码: uscc,
        法定代表人: '赵某',
        行政许可决定文书名称: '准予行政许可决定书',
        行政许可决定文书号: '淄市监许〔2026〕88号',
        许可类别: '普通',
        许可证书名称: '食品经营许可证',
        许可编号: 'JY13703030099999',
        许可决定日期: '20260402',
        有效期自: '20260402',
        有效期至: '长期',
        许可机关: '淄博市市场监督管理局',
      },
      now,
    );
    if (!converted.ok) throw new Error(JSON.stringify(converted.errors));
    expect(converted.record).toMatchObject({
      category: 'org_licence',
      occurredAt: '2026-04-02',
      data: {
        licenceName: '食品经营许可证',
        licenceNumber: '淄市监许〔2026〕88号',
        certificateNumber: 'JY13703030099999',
        licenceType: 'permit',
        decidedOn: '2026-04-02',
        validFrom: '2026-04-02',
        issuingAuthority: '淄博市市场监督管理局',
      },
    });
    expect((converted.record.data as Record<string, unknown>).validUntil).toBeUndefined();
    expect(converted.record.relatedPersons).toBeUndefined();
    expect(validateRecordInput(converted.record, 'submission', now).ok).toBe(true);
  });
});
