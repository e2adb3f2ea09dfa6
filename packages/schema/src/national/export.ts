import { shanghaiDate } from '@credit/calendar';
import { findEntry } from '../catalogue/catalogue.ts';
import { penaltyKindLabels, type penaltyKinds } from '../catalogue/fields.ts';
import type { SubjectKind } from '../identifiers/subject.ts';
import { type NationalFormat, nationalPresets } from './items.ts';

/**
 * The way out of the catalogue into the national 双公示 items: the inverse of the import presets
 * (`fromNationalItems`). Open data (services/query) and the delivery ledger to the provincial
 * platform both call `toNationalItems(record)` and `listEntryToItems(entry)`, and head their files
 * with `exportColumns[preset]`.
 *
 * - 行政处罚 (`administrative_penalty`) → `shuanggongshi-penalty`, 行政许可 (`org_licence`) →
 *   `shuanggongshi-licence`: every item of the national table, in its order, empty where the
 *   platform keeps nothing (工商注册号, 组织机构代码, …). Amounts in 万元, as the standard says.
 * - Every other catalogue entry (信用承诺, 表彰荣誉, 失信被执行人, …) → `platform-record`, and list
 *   decisions (红黑名单) → `platform-list-entry`: no national item set exists for them, so these are
 *   platform extension shapes, headed in Chinese like the national ones and documented in
 *   docs/open-data.md.
 *
 * Every row ends with the platform's extension items `平台记录编号` (the record's or entry's id,
 * unique across presets) and `平台记录版本`, which name what a later change replaces or deletes.
 * Rows are strings only: what a CSV cell and a JSON Lines value hold alike.
 */

export const exportPresets = [
  'shuanggongshi-penalty',
  'shuanggongshi-licence',
  'platform-record',
  'platform-list-entry',
] as const;
export type ExportPreset = (typeof exportPresets)[number];

/** The extension items every exported row ends with. */
export const exportIdItem = '平台记录编号';
export const exportVersionItem = '平台记录版本';

/** A catalogue record as it is exported: what the read model holds, with the subject's identity opened. */
export interface ExportRecord {
  recordId: string;
  version: number;
  category: string;
  subject: { kind: SubjectKind; id: string; name: string };
  /** The fact's date as a plain date (YYYY-MM-DD), or the instant it happened. */
  occurredOn: string;
  data: Record<string, unknown>;
  /** The providing department's code, 数据来源单位 unless `source` names it. */
  providerCode: string;
  /** Until when it is shown (展示期限), as an instant; 公示截止期 is its day in Shanghai. */
  displayUntil?: Date | null;
  /**
   * Named related persons (法定代表人), only for a receiver entitled to them: the public sees
   * none, so open data passes none.
   */
  relatedPersons?: readonly { role: string; name: string; id: string }[];
  /** The department the data came from, when the caller knows its name and code. */
  source?: { name: string; uscc?: string };
}

/** A published list entry (红黑名单) as it is exported. */
export interface ExportListEntry {
  entryId: string;
  /** Bumped by the caller each time the entry's published shape changes; 1 when unknown. */
  version?: number;
  subject: { kind: SubjectKind; id: string; name: string };
  listKind: 'red' | 'black' | 'watch';
  domain: string;
  validFrom: Date | null;
  validUntil: Date | null;
  measures: readonly string[];
}

export interface NationalExportRow {
  preset: ExportPreset;
  /** Item name → value; every column of `exportColumns[preset]` is present (empty when unknown). */
  row: Record<string, string>;
}

const subjectColumns = [
  '行政相对人名称',
  '行政相对人类别',
  '统一社会信用代码',
  '证件类型',
  '证件号码',
] as const;

const nationalColumns = (format: NationalFormat): string[] =>
  nationalPresets[format].items.map((item) => item.name);

/** The columns of each preset's files, in order. */
export const exportColumns: Record<ExportPreset, readonly string[]> = {
  'shuanggongshi-penalty': [...nationalColumns('shuanggongshi-penalty'), exportIdItem, exportVersionItem],
  'shuanggongshi-licence': [...nationalColumns('shuanggongshi-licence'), exportIdItem, exportVersionItem],
  'platform-record': [
    ...subjectColumns,
    '信息类别代码',
    '信息类别名称',
    '发生日期',
    '信息内容',
    '公示截止期',
    '数据来源单位',
    exportIdItem,
    exportVersionItem,
  ],
  'platform-list-entry': [
    ...subjectColumns,
    '名单类型',
    '名单领域',
    '有效期自',
    '有效期至',
    '联合奖惩措施',
    exportIdItem,
    exportVersionItem,
  ],
};

/** Which preset a catalogue entry is exported as. */
export function exportPresetOf(category: string): ExportPreset {
  if (category === nationalPresets['shuanggongshi-penalty'].category) return 'shuanggongshi-penalty';
  if (category === nationalPresets['shuanggongshi-licence'].category) return 'shuanggongshi-licence';
  return 'platform-record';
}

const penaltyKindNames: Record<(typeof penaltyKinds)[number], string> = penaltyKindLabels;

const licenceTypeNames: Record<string, string> = {
  permit: '普通',
  approval: '特许',
  qualification: '认可',
  certificate: '核准',
  registration: '登记',
  other: '其他',
};

const listKindNames: Record<ExportListEntry['listKind'], string> = {
  red: '守信激励名单（红名单）',
  black: '失信惩戒名单（黑名单）',
  watch: '重点关注名单',
};

/**
 * An amount in yuan as 万元, shifted in decimal (never through a binary fraction), the inverse of
 * `nationalAmountYuan(text, '万元')`: 205000 → "20.5", 1 → "0.0001", 1.23 → "0.000123".
 */
export function yuanToWanYuan(yuan: number): string {
  const fen = Math.round(yuan * 100);
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not an amount in yuan: ${yuan}`);
  // fen / 10^6 is the amount in 万元.
  const digits = String(fen).padStart(7, '0');
  const whole = digits.slice(0, -6).replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(-6).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** 行政相对人类别: a 个体工商户's code is of type 92 (GB 32100-2015); other organisations are 法人及非法人组织. */
function subjectCategory(kind: SubjectKind, id: string): string {
  if (kind === 'natural_person') return '自然人';
  return id.startsWith('92') ? '个体工商户' : '法人及非法人组织';
}

function subjectCells(subject: ExportRecord['subject']): Record<string, string> {
  const person = subject.kind === 'natural_person';
  return {
    行政相对人名称: subject.name,
    行政相对人类别: subjectCategory(subject.kind, subject.id),
    统一社会信用代码: person ? '' : subject.id,
    证件类型: person ? '身份证' : '',
    证件号码: person ? subject.id : '',
  };
}

const str = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : String(value);

const amount = (value: unknown): string => (typeof value === 'number' ? yuanToWanYuan(value) : '');

/** JSON with every object's keys sorted, so one content always reads the same. */
function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
    );
  };
  return JSON.stringify(sort(value));
}

/** Every column present, in order, empty where nothing was given. */
function complete(preset: ExportPreset, cells: Record<string, string>): NationalExportRow {
  const row: Record<string, string> = {};
  for (const column of exportColumns[preset]) row[column] = cells[column] ?? '';
  return { preset, row };
}

/**
 * One catalogue record as one row of national items (or of the platform extension shape when
 * its entry has no national item set). Reads only the record; throws nothing for a well-formed
 * catalogue record.
 */
export function toNationalItems(record: ExportRecord): NationalExportRow {
  const preset = exportPresetOf(record.category);
  const { data } = record;
  const displayUntil = record.displayUntil ? shanghaiDate(record.displayUntil) : '';
  const cells: Record<string, string> = {
    ...subjectCells(record.subject),
    数据来源单位: record.source?.name ?? record.providerCode,
    数据来源单位统一社会信用代码: record.source?.uscc ?? '',
    [exportIdItem]: record.recordId,
    [exportVersionItem]: String(record.version),
  };
  const representative = record.relatedPersons?.find((p) => p.role === 'legal_representative');

  if (preset === 'shuanggongshi-penalty') {
    const kinds = Array.isArray(data.penaltyKinds)
      ? (data.penaltyKinds as (typeof penaltyKinds)[number][])
      : [];
    Object.assign(cells, {
      ...(representative
        ? {
            法定代表人: representative.name,
            法定代表人证件类型: '身份证',
            法定代表人证件号码: representative.id,
          }
        : {}),
      行政处罚决定书文号: str(data.documentNumber),
      违法行为类型: str(data.violation),
      违法事实: str(data.facts),
      处罚依据: str(data.legalBasis),
      处罚类别: kinds.map((k) => penaltyKindNames[k] ?? '其他').join(';'),
      处罚内容: str(data.content),
      罚款金额: amount(data.amount),
      '没收违法所得、没收非法财物的金额': amount(data.confiscatedYuan),
      暂扣或吊销证照名称及编号: str(data.licencesAffected),
      处罚决定日期: str(data.decidedOn),
      公示截止期: displayUntil,
      处罚机关: str(data.authority),
      处罚机关统一社会信用代码: str(data.authorityUscc),
    });
  } else if (preset === 'shuanggongshi-licence') {
    Object.assign(cells, {
      行政许可决定文书名称: str(data.licenceName),
      行政许可决定文书号: str(data.licenceNumber),
      许可类别: licenceTypeNames[str(data.licenceType)] ?? '其他',
      许可证书名称: str(data.licenceName),
      许可编号: str(data.certificateNumber),
      许可内容: str(data.content),
      许可决定日期: str(data.decidedOn),
      有效期自: str(data.validFrom),
      有效期至: str(data.validUntil),
      公示截止期: displayUntil,
      许可机关: str(data.issuingAuthority),
      许可机关统一社会信用代码: str(data.authorityUscc),
    });
  } else {
    Object.assign(cells, {
      信息类别代码: record.category,
      信息类别名称: findEntry(record.category)?.zh ?? record.category,
      发生日期: record.occurredOn,
      // The entry's own fields, as JSON: no national item names them.
      信息内容: sortedJson(data),
      公示截止期: displayUntil,
    });
  }
  return complete(preset, cells);
}

/** A published list entry (红黑名单) as a row of the platform extension shape `platform-list-entry`. */
export function listEntryToItems(entry: ExportListEntry): NationalExportRow {
  return complete('platform-list-entry', {
    ...subjectCells(entry.subject),
    名单类型: listKindNames[entry.listKind],
    名单领域: entry.domain,
    有效期自: entry.validFrom?.toISOString() ?? '',
    有效期至: entry.validUntil?.toISOString() ?? '',
    联合奖惩措施: entry.measures.join(';'),
    [exportIdItem]: entry.entryId,
    [exportVersionItem]: String(entry.version ?? 1),
  });
}
