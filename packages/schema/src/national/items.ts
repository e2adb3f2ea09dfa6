/**
 * The national 双公示 data items (行政许可、行政处罚等信用信息数据标准, the 2021 edition's item
 * lists) as departments' systems already keep them, and where each lands in the catalogue.
 * `target` is the field an item fills (a record path), or null where the platform keeps it
 * nowhere, with `why`. Items are named as the standard names them; `aliases` are the other headers
 * departments' exports use for the same item (older editions, typos of long names, a unit in
 * brackets). Amounts are in 万元 as the standard says, unless a header names 元.
 */

export const nationalFormats = ['shuanggongshi-penalty', 'shuanggongshi-licence'] as const;
export type NationalFormat = (typeof nationalFormats)[number];

export interface NationalItem {
  name: string;
  aliases?: readonly string[];
  /** The record path the item fills, or null when it is read but kept nowhere. */
  target: string | null;
  /** Why an item is kept nowhere. */
  why?: string;
  /** The standard's unit of an amount item. */
  unit?: '万元';
  required?: boolean;
}

const notKept = (name: string, why: string, aliases?: readonly string[]): NationalItem => ({
  name,
  target: null,
  why,
  ...(aliases ? { aliases } : {}),
});

const superseded = 'superseded by the 统一社会信用代码, which identifies the subject here';
const sourceUnit = 'the department pushing the record is its source: its provider code is recorded with it';

/** The items about the subject (行政相对人), the same in both tables. */
const subjectItems: readonly NationalItem[] = [
  { name: '行政相对人名称', target: 'subject.name', required: true },
  { name: '行政相对人类别', target: 'subject.kind', required: true },
  {
    name: '统一社会信用代码',
    aliases: ['行政相对人代码_1', '行政相对人统一社会信用代码', '社会统一信用代码'],
    target: 'subject.id',
  },
  notKept('工商注册号', superseded),
  notKept('组织机构代码', superseded),
  notKept('税务登记号', superseded),
  notKept('事业单位证书号', superseded),
  notKept('社会组织登记证号', superseded),
  { name: '证件类型', aliases: ['行政相对人证件类型'], target: 'subject.id' },
  { name: '证件号码', aliases: ['行政相对人证件号码'], target: 'subject.id' },
];

const legalRepresentativeItems = (kept: boolean): readonly NationalItem[] =>
  kept
    ? [
        {
          name: '法定代表人',
          aliases: ['法定代表人姓名', '法定代表人或负责人姓名'],
          target: 'relatedPersons.0.name',
        },
        { name: '法定代表人证件类型', target: 'relatedPersons.0.id' },
        {
          name: '法定代表人证件号码',
          aliases: ['法定代表人身份证号', '法定代表人身份证号码', '法定代表人或负责人证件号码'],
          target: 'relatedPersons.0.id',
        },
      ]
    : [
        notKept('法定代表人', 'licences name no related persons in the catalogue', [
          '法定代表人姓名',
          '法定代表人或负责人姓名',
        ]),
        notKept('法定代表人证件类型', 'licences name no related persons in the catalogue'),
        notKept('法定代表人证件号码', 'licences name no related persons in the catalogue', [
          '法定代表人身份证号',
          '法定代表人身份证号码',
          '法定代表人或负责人证件号码',
        ]),
      ];

const sourceItems: readonly NationalItem[] = [
  notKept('数据来源单位', sourceUnit, ['数据来源']),
  notKept('数据来源单位统一社会信用代码', sourceUnit),
  notKept('备注', 'free text the catalogue has no field for'),
];

const penaltyItems: readonly NationalItem[] = [
  ...subjectItems,
  ...legalRepresentativeItems(true),
  {
    name: '行政处罚决定书文号',
    aliases: ['处罚决定书文号', '决定书文号'],
    target: 'data.documentNumber',
    required: true,
  },
  { name: '违法行为类型', aliases: ['违法行为'], target: 'data.violation', required: true },
  { name: '违法事实', aliases: ['主要违法事实'], target: 'data.facts', required: true },
  { name: '处罚依据', target: 'data.legalBasis', required: true },
  { name: '处罚类别', aliases: ['处罚种类'], target: 'data.penaltyKinds', required: true },
  { name: '处罚内容', aliases: ['处罚结果'], target: 'data.content' },
  { name: '罚款金额', aliases: ['处罚金额'], target: 'data.amount', unit: '万元' },
  {
    name: '没收违法所得、没收非法财物的金额',
    aliases: ['没收违法所得、没收非法财务的金额', '没收违法所得没收非法财物的金额', '没收金额'],
    target: 'data.confiscatedYuan',
    unit: '万元',
  },
  { name: '暂扣或吊销证照名称及编号', target: 'data.licencesAffected' },
  { name: '处罚决定日期', aliases: ['决定日期'], target: 'data.decidedOn', required: true },
  notKept(
    '处罚有效期',
    'how long a penalty is shown follows the catalogue’s display rules (severity, repair)',
    ['有效期'],
  ),
  notKept(
    '公示截止期',
    'how long a penalty is shown follows the catalogue’s display rules (severity, repair)',
  ),
  { name: '处罚机关', aliases: ['处罚机构'], target: 'data.authority', required: true },
  { name: '处罚机关统一社会信用代码', target: 'data.authorityUscc' },
  ...sourceItems,
];

const licenceItems: readonly NationalItem[] = [
  ...subjectItems,
  ...legalRepresentativeItems(false),
  {
    name: '行政许可决定文书名称',
    target: 'data.licenceName',
    why: 'the licence’s name when 许可证书名称 is empty',
  },
  {
    name: '行政许可决定文书号',
    aliases: ['行政许可决定书文号', '许可决定书文号', '许可文书号'],
    target: 'data.licenceNumber',
    required: true,
  },
  { name: '许可类别', aliases: ['审批类别'], target: 'data.licenceType', required: true },
  { name: '许可证书名称', target: 'data.licenceName' },
  { name: '许可编号', aliases: ['许可证书编号'], target: 'data.certificateNumber' },
  { name: '许可内容', target: 'data.content' },
  { name: '许可决定日期', aliases: ['决定日期'], target: 'data.decidedOn', required: true },
  { name: '有效期自', target: 'data.validFrom' },
  { name: '有效期至', aliases: ['许可截止期'], target: 'data.validUntil' },
  notKept('公示截止期', 'a licence is shown while it is valid (until 有效期至)'),
  { name: '许可机关', target: 'data.issuingAuthority', required: true },
  { name: '许可机关统一社会信用代码', target: 'data.authorityUscc' },
  ...sourceItems,
];

export interface NationalPreset {
  format: NationalFormat;
  /** The catalogue entry every item is pushed under. */
  category: string;
  zh: string;
  /** The item naming the decision document: with the subject's identifier, it names the record. */
  documentItem: string;
  dateItem: string;
  items: readonly NationalItem[];
}

export const nationalPresets: Record<NationalFormat, NationalPreset> = {
  'shuanggongshi-penalty': {
    format: 'shuanggongshi-penalty',
    category: 'administrative_penalty',
    zh: '行政处罚信息（双公示）',
    documentItem: '行政处罚决定书文号',
    dateItem: '处罚决定日期',
    items: penaltyItems,
  },
  'shuanggongshi-licence': {
    format: 'shuanggongshi-licence',
    category: 'org_licence',
    zh: '行政许可信息（双公示）',
    documentItem: '行政许可决定文书号',
    dateItem: '许可决定日期',
    items: licenceItems,
  },
};

export function isNationalFormat(value: string): value is NationalFormat {
  return (nationalFormats as readonly string[]).includes(value);
}

/**
 * A header as departments write it, reduced to compare: NFKC (full-width brackets and digits to
 * ASCII), no spaces, no required-marks, and a numbered subject code (行政相对人代码_2（工商注册号）)
 * to the name in its brackets.
 */
function headerKey(header: string): string {
  let key = header
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/^\*+|\*+$/g, '')
    .replace(/\(必填\)$/, '');
  const numbered = /^行政相对人代码[_-]?\d\((.+)\)$/.exec(key);
  if (numbered?.[1]) key = numbered[1];
  return key;
}

/** Which item a header names, and in which unit an amount header gives it. */
export interface HeaderMatch {
  item: NationalItem;
  unit?: '万元' | '元';
}

const headerIndexes = new Map<NationalFormat, Map<string, NationalItem>>();

function headerIndex(format: NationalFormat): Map<string, NationalItem> {
  let index = headerIndexes.get(format);
  if (!index) {
    index = new Map();
    for (const item of nationalPresets[format].items)
      for (const name of [item.name, ...(item.aliases ?? [])]) index.set(headerKey(name), item);
    headerIndexes.set(format, index);
  }
  return index;
}

/** The national item a column header names in this format, if any. */
export function matchNationalHeader(format: NationalFormat, header: string): HeaderMatch | undefined {
  const key = headerKey(header);
  const index = headerIndex(format);
  const direct = index.get(key);
  if (direct) return direct.unit ? { item: direct, unit: direct.unit } : { item: direct };
  // An amount header may carry its unit: 罚款金额（万元）, 罚款金额（元）.
  const unit = /^(.+)\((万元|元)\)$/.exec(key);
  if (unit?.[1]) {
    const item = index.get(unit[1]);
    if (item?.unit) return { item, unit: unit[2] as '万元' | '元' };
  }
  return undefined;
}
