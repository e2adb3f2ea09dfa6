import { createHash } from 'node:crypto';
import type { penaltyKinds } from '../catalogue/fields.ts';
import { normaliseIdentifier } from '../identifiers/normalise.ts';
import { kindsAllowedForUscc, type SubjectKind } from '../identifiers/subject.ts';
import { checkUscc } from '../identifiers/uscc.ts';
import { validateRecordInput } from '../validation/record-validation.ts';
import {
  type HeaderMatch,
  matchNationalHeader,
  type NationalFormat,
  type NationalItem,
  nationalPresets,
} from './items.ts';

/** A refusal of one national row: our field and the national item it was read from. */
export interface NationalFieldError {
  path: string;
  /** The national item, as the standard names it. */
  item?: string;
  code: string;
  message: string;
}

export type NationalConversion =
  | {
      ok: true;
      /** A record submission, to be checked by the platform like any other. */
      record: Record<string, unknown>;
      /** Which national item filled each path, to name it in the platform's refusals. */
      provenance: Record<string, string>;
    }
  | { ok: false; sourceId: string | null; errors: NationalFieldError[] };

type Cell = { value: string; match: HeaderMatch; header: string };

/** Cells by item name; the first non-empty cell wins when two headers name the same item. */
function readCells(format: NationalFormat, row: Record<string, unknown>): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  for (const [header, raw] of Object.entries(row)) {
    const match = matchNationalHeader(format, header);
    if (!match || raw === null || raw === undefined) continue;
    const value = (typeof raw === 'string' ? raw : String(raw)).trim();
    if (value === '' || cells.has(match.item.name)) continue;
    cells.set(match.item.name, { value, match, header });
  }
  return cells;
}

const subjectKindsByCategory: Record<string, 'organisation' | 'sole_trader' | 'person'> = {
  法人及非法人组织: 'organisation',
  法人和非法人组织: 'organisation',
  法人: 'organisation',
  非法人组织: 'organisation',
  其他组织: 'organisation',
  个体工商户: 'sole_trader',
  自然人: 'person',
};

/** Branches and partnerships are not legal persons, though their code's type (91) is an enterprise's. */
const unincorporatedName = /(分公司|分厂|分店|分行|分部|分支机构|办事处|营业部|合伙)/;

function organisationKind(uscc: string, name: string | undefined): SubjectKind {
  if (!checkUscc(uscc).ok) return 'legal_person';
  const kinds = kindsAllowedForUscc(normaliseIdentifier(uscc));
  if (kinds.includes('unincorporated_org') && name && unincorporatedName.test(name))
    return 'unincorporated_org';
  return kinds.includes('legal_person') ? 'legal_person' : (kinds[0] ?? 'legal_person');
}

const citizenIdTypes = new Set([
  '身份证',
  '居民身份证',
  '中华人民共和国居民身份证',
  '身份证号',
  '身份证号码',
  '001',
  '1',
]);

/**
 * A date in one of the forms national files carry (YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD, YYYY年M月D日,
 * YYYY.MM.DD, with or without a time of day after it) as a plain date, or null when it is none
 * or not a day of the calendar.
 */
export function nationalDate(text: string): string | null {
  const value = text.trim().replace(/[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/, '');
  const match =
    /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value) ??
    /^(\d{4})年(\d{1,2})月(\d{1,2})日$/.exec(value) ??
    /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * An amount in yuan from one given in 万元 or 元, shifted in decimal (never through a binary
 * fraction: 0.0001 万元 is exactly 1 元), or null when it is not a non-negative number to the fen.
 */
export function nationalAmountYuan(text: string, unit: '万元' | '元'): number | null {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim().replaceAll(/[,，\s]/g, ''));
  if (!match) return null;
  const whole = match[1] as string;
  const fraction = match[2] ?? '';
  const shift = unit === '万元' ? 4 : 0;
  const digits = whole + fraction.padEnd(shift, '0');
  const integerDigits = whole.length + shift;
  const cents = digits.slice(integerDigits).replace(/0+$/, '');
  if (cents.length > 2) return null;
  return Number(`${digits.slice(0, integerDigits)}.${cents || '0'}`);
}

/** 处罚类别 as the standard lists them (2021: 行政处罚法 第九条), to the catalogue's penalty kinds. */
const penaltyKindNames: Record<string, (typeof penaltyKinds)[number]> = {
  警告: 'warning',
  通报批评: 'circulated_criticism',
  罚款: 'fine',
  没收违法所得: 'confiscation',
  没收非法财物: 'confiscation',
  没收违法所得没收非法财物: 'confiscation',
  没收: 'confiscation',
  暂扣许可证件: 'suspension',
  暂扣许可证执照: 'suspension',
  暂扣许可证: 'suspension',
  暂扣执照: 'suspension',
  降低资质等级: 'licence_downgrade',
  吊销许可证件: 'licence_revocation',
  吊销许可证执照: 'licence_revocation',
  吊销许可证: 'licence_revocation',
  吊销执照: 'licence_revocation',
  吊销营业执照: 'licence_revocation',
  限制开展生产经营活动: 'production_restriction',
  责令停产停业: 'production_restriction',
  责令关闭: 'business_closure',
  限制从业: 'other',
  行政拘留: 'detention',
  其他: 'other',
  其他行政处罚: 'other',
};

function penaltyKindsOf(text: string): (typeof penaltyKinds)[number][] | null {
  const kinds = new Set<(typeof penaltyKinds)[number]>();
  for (const part of text.split(/[;；,，|/\n]+/)) {
    const name = part.trim().replace(/^\d+[.、]?/, '');
    if (name === '') continue;
    // 没收违法所得、没收非法财物 is one kind with a 、 inside; other 、 separate kinds.
    const whole = penaltyKindNames[name.replaceAll('、', '')];
    if (whole) {
      kinds.add(whole);
      continue;
    }
    for (const piece of name.split('、')) {
      const kind = penaltyKindNames[piece.trim()];
      if (!kind) return null;
      kinds.add(kind);
    }
  }
  return kinds.size > 0 ? [...kinds] : null;
}

/** 许可类别 (普通、特许、认可、核准、登记、其他) to the catalogue's licence types. */
const licenceTypeNames: Record<string, string> = {
  普通: 'permit',
  普通许可: 'permit',
  特许: 'approval',
  特许许可: 'approval',
  认可: 'qualification',
  认可许可: 'qualification',
  核准: 'certificate',
  核准许可: 'certificate',
  登记: 'registration',
  登记许可: 'registration',
  其他: 'other',
  其他许可: 'other',
};
const licenceTypeCodes = new Set([
  'approval',
  'permit',
  'qualification',
  'certificate',
  'registration',
  'other',
]);

const openEnded = new Set(['长期', '长期有效', '永久', '永久有效', '无固定期限']);

/**
 * The record's sourceId: the department's own `sourceId` when a row carries one, else derived
 * from the decision document's number and the subject's identifier, so the same row pushed again
 * names the same record (and answers 200) while two parties of one decision stay two records.
 */
export function nationalSourceId(format: NationalFormat, documentNumber: string, subjectId: string): string {
  const digest = createHash('sha256')
    .update(`${documentNumber.normalize('NFKC').replace(/\s+/g, '')}\u0000${normaliseIdentifier(subjectId)}`)
    .digest('hex')
    .slice(0, 32);
  return `${format === 'shuanggongshi-penalty' ? 'sgs-cf' : 'sgs-xk'}-${digest}`;
}

/**
 * Converts one row of national items (keys as a department's file heads its columns) to a record
 * submission of the preset's catalogue entry. What the national items cannot give is refused
 * here, naming the item; everything else is left to the platform's own checks, whose refusals
 * `nationalItemOf` names by the same items.
 */
export function fromNationalItems(
  format: NationalFormat,
  row: Record<string, unknown>,
  now: Date = new Date(),
): NationalConversion {
  const preset = nationalPresets[format];
  const cells = readCells(format, row);
  const errors: NationalFieldError[] = [];
  const provenance: Record<string, string> = {};
  const data: Record<string, unknown> = {};
  const text = (name: string) => cells.get(name)?.value;
  const refuse = (path: string, item: string, message: string) =>
    errors.push({ path, item, code: 'validation_failed', message: `${item}: ${message}` });

  const put = (path: string, item: string, value: unknown) => {
    provenance[path] = item;
    if (path.startsWith('data.')) data[path.slice(5)] = value;
  };

  // Plain text items fill their field as given; the rest are converted below.
  const converted = new Set([
    '行政相对人类别',
    '统一社会信用代码',
    '证件类型',
    '证件号码',
    '法定代表人',
    '法定代表人证件类型',
    '法定代表人证件号码',
    '处罚类别',
    '罚款金额',
    '没收违法所得、没收非法财物的金额',
    '处罚决定日期',
    '许可决定日期',
    '有效期自',
    '有效期至',
    '许可类别',
    '行政许可决定文书名称',
  ]);
  for (const [name, cell] of cells) {
    const { target } = cell.match.item;
    if (!target?.startsWith('data.') || converted.has(name)) continue;
    put(target, name, cell.value);
  }

  // The subject.
  const name = text('行政相对人名称');
  if (name) provenance['subject.name'] = '行政相对人名称';
  const category = text('行政相对人类别');
  const uscc = text('统一社会信用代码');
  const personId = text('证件号码');
  let kind: SubjectKind | undefined;
  let subjectId: string | undefined;
  let subjectIdItem = '统一社会信用代码';
  const categoryKind = category ? subjectKindsByCategory[category.replace(/\s+/g, '')] : undefined;
  if (!categoryKind) {
    refuse(
      'subject.kind',
      '行政相对人类别',
      category
        ? `'${category}' is not 法人及非法人组织, 个体工商户 or 自然人`
        : 'required (法人及非法人组织, 个体工商户 or 自然人)',
    );
    // The identifier given is still the subject's, for the record's name and the other checks.
    subjectId = uscc ?? personId;
    if (!uscc && personId) subjectIdItem = '证件号码';
  } else if (categoryKind === 'person') {
    subjectIdItem = '证件号码';
    kind = 'natural_person';
    const idType = text('证件类型');
    if (idType && !citizenIdTypes.has(idType.replace(/\s+/g, '')))
      refuse(
        'subject.id',
        '证件类型',
        `'${idType}': a natural person is identified here by a resident identity card (身份证) number only`,
      );
    else if (!personId) refuse('subject.id', '证件号码', 'required for a 自然人 (the identity card number)');
    else subjectId = personId;
  } else {
    // 个体工商户 are registered with a USCC of their own (type 92), an unincorporated organisation.
    if (!uscc)
      refuse(
        'subject.id',
        '统一社会信用代码',
        `required for ${categoryKind === 'sole_trader' ? '个体工商户' : '法人及非法人组织'}`,
      );
    else {
      subjectId = uscc;
      kind = categoryKind === 'sole_trader' ? 'unincorporated_org' : organisationKind(uscc, name);
    }
  }
  if (kind) provenance['subject.kind'] = '行政相对人类别';
  if (subjectId) provenance['subject.id'] = subjectIdItem;

  // The legal representative, where the entry names related persons.
  const relatedPersons: Record<string, unknown>[] = [];
  const representativeItem = preset.items.find((i) => i.name === '法定代表人');
  if (representativeItem?.target) {
    const repName = text('法定代表人');
    const repId = text('法定代表人证件号码');
    const repType = text('法定代表人证件类型');
    // A name without a number cannot be linked to anyone: the record stands without it.
    if (repId) {
      if (repType && !citizenIdTypes.has(repType.replace(/\s+/g, '')))
        refuse(
          'relatedPersons.0.id',
          '法定代表人证件类型',
          `'${repType}': a legal representative is linked by a resident identity card (身份证) number only`,
        );
      else if (!repName) refuse('relatedPersons.0.name', '法定代表人', 'required with 法定代表人证件号码');
      else {
        relatedPersons.push({ role: 'legal_representative', id: repId, name: repName });
        provenance['relatedPersons.0.id'] = '法定代表人证件号码';
        provenance['relatedPersons.0.name'] = '法定代表人';
      }
    }
  }

  // The decision's date, which is also when the fact happened.
  const decidedText = text(preset.dateItem);
  const decidedOn = decidedText ? nationalDate(decidedText) : null;
  if (!decidedText) refuse('data.decidedOn', preset.dateItem, 'required');
  else if (!decidedOn)
    refuse(
      'data.decidedOn',
      preset.dateItem,
      `'${decidedText}' is not a date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)`,
    );
  else {
    put('data.decidedOn', preset.dateItem, decidedOn);
    provenance.occurredAt = preset.dateItem;
  }

  const dateItem = (item: string, path: string): string | undefined => {
    const value = text(item);
    if (!value) return undefined;
    const date = nationalDate(value);
    if (!date) refuse(path, item, `'${value}' is not a date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)`);
    else put(path, item, date);
    return date ?? undefined;
  };

  if (format === 'shuanggongshi-penalty') {
    const kinds = text('处罚类别');
    if (kinds) {
      const parsed = penaltyKindsOf(kinds);
      if (parsed) put('data.penaltyKinds', '处罚类别', parsed);
      else
        refuse(
          'data.penaltyKinds',
          '处罚类别',
          `'${kinds}' is not among 警告, 通报批评, 罚款, 没收违法所得, 没收非法财物, 暂扣许可证件, 降低资质等级, 吊销许可证件, 限制开展生产经营活动, 责令停产停业, 责令关闭, 限制从业, 行政拘留, 其他 (several separated by ;)`,
        );
    }
    for (const [item, path] of [
      ['罚款金额', 'data.amount'],
      ['没收违法所得、没收非法财物的金额', 'data.confiscatedYuan'],
    ] as const) {
      const cell = cells.get(item);
      if (!cell) continue;
      const unit = cell.match.unit ?? '万元';
      const yuan = nationalAmountYuan(cell.value, unit);
      if (yuan === null)
        refuse(path, item, `'${cell.value}' is not an amount in ${unit} (a non-negative number, to the fen)`);
      else put(path, item, yuan);
    }
  } else {
    const type = text('许可类别');
    if (type) {
      const code =
        licenceTypeNames[type.replace(/\s+/g, '')] ?? (licenceTypeCodes.has(type) ? type : undefined);
      if (code) put('data.licenceType', '许可类别', code);
      else refuse('data.licenceType', '许可类别', `'${type}' is not 普通, 特许, 认可, 核准, 登记 or 其他`);
    }
    if (!text('许可证书名称') && text('行政许可决定文书名称'))
      put('data.licenceName', '行政许可决定文书名称', text('行政许可决定文书名称'));
    dateItem('有效期自', 'data.validFrom');
    // A licence takes effect when it is decided unless the file says otherwise.
    if (!text('有效期自') && decidedOn) put('data.validFrom', preset.dateItem, decidedOn);
    const until = text('有效期至');
    if (until && !openEnded.has(until.replace(/\s+/g, ''))) dateItem('有效期至', 'data.validUntil');
  }

  const documentNumber = text(preset.documentItem);
  const explicitSourceId =
    typeof row.sourceId === 'string' && row.sourceId.trim() ? row.sourceId.trim() : undefined;
  const sourceId =
    explicitSourceId ??
    (documentNumber && subjectId ? nationalSourceId(format, documentNumber, subjectId) : undefined);
  if (sourceId) provenance.sourceId = explicitSourceId ? 'sourceId' : preset.documentItem;

  const record: Record<string, unknown> = {
    ...(sourceId ? { sourceId } : {}),
    category: preset.category,
    subject: {
      ...(kind ? { kind } : {}),
      ...(subjectId ? { id: subjectId } : {}),
      ...(name ? { name } : {}),
    },
    ...(decidedOn ? { occurredAt: decidedOn } : {}),
    data,
    ...(relatedPersons.length > 0 ? { relatedPersons } : {}),
  };
  if (errors.length === 0) return { ok: true, record, provenance };

  // Everything else wrong with the row is reported with what the items could not give.
  // Parts already refused are stood in for, so the platform's checks reach everything else.
  const probe = {
    ...record,
    sourceId: sourceId ?? 'national-row',
    subject: {
      kind: kind ?? (uscc || !personId ? 'legal_person' : 'natural_person'),
      id: subjectId ?? '',
      name: name ?? '',
    },
    occurredAt: decidedOn ?? now.toISOString().slice(0, 10),
  };
  const more = validateRecordInput(probe, 'submission', now);
  if (!more.ok) {
    const refused = new Set(errors.map((e) => e.path));
    for (const error of more.errors) {
      if (refused.has(error.path) || [...refused].some((path) => error.path.startsWith(`${path}.`))) continue;
      errors.push(nameItem(format, error, provenance));
    }
  }
  return { ok: false, sourceId: sourceId ?? null, errors };
}

/** The national item a record path was read from (or would have been), for a refusal. */
export function nationalItemOf(
  format: NationalFormat,
  path: string,
  provenance: Record<string, string> = {},
): string | undefined {
  for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const given = provenance[p];
    if (given) return given;
  }
  const items = nationalPresets[format].items;
  const byTarget = (candidate: string): NationalItem | undefined =>
    items.find((i) => i.target === candidate && !i.why) ?? items.find((i) => i.target === candidate);
  for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const item = byTarget(p);
    if (item) return item.name;
  }
  if (path === 'occurredAt') return nationalPresets[format].dateItem;
  if (path === 'sourceId') return nationalPresets[format].documentItem;
  if (path.startsWith('relatedPersons')) return byTarget('relatedPersons.0.id')?.name;
  return undefined;
}

/** A platform refusal with the national item it concerns added (and leading its message). */
export function nameItem<E extends { path: string; message: string }>(
  format: NationalFormat,
  error: E,
  provenance: Record<string, string> = {},
): E & { item?: string } {
  const item = nationalItemOf(format, error.path, provenance);
  if (!item || item === 'sourceId') return error;
  return {
    ...error,
    item,
    message: error.message.startsWith(`${item}:`) ? error.message : `${item}: ${error.message}`,
  };
}
