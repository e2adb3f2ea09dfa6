import { createHash } from 'node:crypto';
import { shanghaiDate } from '@credit/calendar';
import { catalogueEntries, findEntry } from '../catalogue/catalogue.ts';
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

const str = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : String(value);

const amount = (value: unknown): string => (typeof value === 'number' ? yuanToWanYuan(value) : '');

/** Whether `key` is an array index: an object enumerates those first, in numeric order, whatever order they were set in. */
function isIndexKey(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first < 48 || first > 57 || (first === 48 && key.length > 1)) return false;
  if (!/^\d+$/.test(key)) return false;
  return Number(key) < 2 ** 32 - 1;
}

/** An object's keys as a copy of it rebuilt with them sorted enumerates them: indexes first (numeric), then the rest sorted. */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value).sort();
  let indexes = 0;
  for (const key of keys) if (isIndexKey(key)) indexes++;
  if (indexes === 0) return keys;
  const numeric = keys.filter(isIndexKey).sort((a, b) => Number(a) - Number(b));
  return [...numeric, ...keys.filter((key) => !isIndexKey(key))];
}

/** A value's JSON inside an array or object: `undefined` where JSON.stringify would leave it out (or write null, in an array). */
function sortedJsonOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let json = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) json += ',';
      json += sortedJsonOf(value[i]) ?? 'null';
    }
    return `${json}]`;
  }
  // Any other object by its own enumerable keys (a Date included, as `{}`): what a sorted copy of it holds.
  let json = '';
  for (const key of sortedKeys(value)) {
    const member = sortedJsonOf((value as Record<string, unknown>)[key]);
    if (member === undefined) continue;
    json += `${json === '' ? '{' : ','}${JSON.stringify(key)}:${member}`;
  }
  return json === '' ? '{}' : `${json}}`;
}

/**
 * JSON with every object's keys sorted, so one content always reads the same: the text
 * `JSON.stringify` gives of a copy with sorted keys, written without building the copy (it runs
 * once per exported record).
 */
export function sortedJson(value: unknown): string {
  return sortedJsonOf(value) as string;
}

/** A preset's columns by name: where a builder writes each value of a row. */
const columnIndex = Object.fromEntries(
  exportPresets.map((preset) => [preset, new Map(exportColumns[preset].map((column, i) => [column, i]))]),
) as Record<ExportPreset, Map<string, number>>;

/** The column `name` of `preset` (-1 when the preset has none): computed once, so a row is filled by position. */
const at = (preset: ExportPreset, name: string): number => columnIndex[preset].get(name) ?? -1;

/** The positions of the cells every row has (subject, source, id, version) in one preset. */
function commonCells(preset: ExportPreset) {
  return {
    name: at(preset, '行政相对人名称'),
    category: at(preset, '行政相对人类别'),
    uscc: at(preset, '统一社会信用代码'),
    idType: at(preset, '证件类型'),
    idNumber: at(preset, '证件号码'),
    source: at(preset, '数据来源单位'),
    sourceUscc: at(preset, '数据来源单位统一社会信用代码'),
    displayUntil: at(preset, '公示截止期'),
    id: at(preset, exportIdItem),
    version: at(preset, exportVersionItem),
  };
}

const common = Object.fromEntries(exportPresets.map((preset) => [preset, commonCells(preset)])) as Record<
  ExportPreset,
  ReturnType<typeof commonCells>
>;

/** Writes `value` at `index` of `values` when the preset has that column. */
function put(values: string[], index: number, value: string | undefined): void {
  if (index >= 0) values[index] = value ?? '';
}

/** The items every preset's rows begin with, in this order. */
export const exportLeadColumns = ['行政相对人名称', '行政相对人类别', '统一社会信用代码'] as const;
for (const preset of exportPresets) {
  if (exportLeadColumns.some((name, i) => exportColumns[preset][i] !== name))
    throw new Error(`the columns of ${preset} do not begin with the subject's name, category and code`);
}

/** A subject's values of `exportLeadColumns`: an organisation's other subject items (证件类型, 证件号码) are empty. */
export function exportLeadValues(subject: ExportRecord['subject']): [string, string, string] {
  return [
    subject.name,
    subjectCategory(subject.kind, subject.id),
    subject.kind === 'natural_person' ? '' : subject.id,
  ];
}

/** A row of `preset` with every value empty, the subject's items filled in. */
function startRow(preset: ExportPreset, subject: ExportRecord['subject']): string[] {
  const values = new Array<string>(exportColumns[preset].length).fill('');
  const cells = common[preset];
  const person = subject.kind === 'natural_person';
  const [name, category, uscc] = exportLeadValues(subject);
  put(values, cells.name, name);
  put(values, cells.category, category);
  put(values, cells.uscc, uscc);
  put(values, cells.idType, person ? '身份证' : '');
  put(values, cells.idNumber, person ? subject.id : '');
  return values;
}

const penalty = {
  representative: at('shuanggongshi-penalty', '法定代表人'),
  representativeIdType: at('shuanggongshi-penalty', '法定代表人证件类型'),
  representativeId: at('shuanggongshi-penalty', '法定代表人证件号码'),
  documentNumber: at('shuanggongshi-penalty', '行政处罚决定书文号'),
  violation: at('shuanggongshi-penalty', '违法行为类型'),
  facts: at('shuanggongshi-penalty', '违法事实'),
  legalBasis: at('shuanggongshi-penalty', '处罚依据'),
  kinds: at('shuanggongshi-penalty', '处罚类别'),
  content: at('shuanggongshi-penalty', '处罚内容'),
  amount: at('shuanggongshi-penalty', '罚款金额'),
  confiscated: at('shuanggongshi-penalty', '没收违法所得、没收非法财物的金额'),
  licencesAffected: at('shuanggongshi-penalty', '暂扣或吊销证照名称及编号'),
  decidedOn: at('shuanggongshi-penalty', '处罚决定日期'),
  authority: at('shuanggongshi-penalty', '处罚机关'),
  authorityUscc: at('shuanggongshi-penalty', '处罚机关统一社会信用代码'),
};

const licence = {
  documentName: at('shuanggongshi-licence', '行政许可决定文书名称'),
  documentNumber: at('shuanggongshi-licence', '行政许可决定文书号'),
  type: at('shuanggongshi-licence', '许可类别'),
  certificateName: at('shuanggongshi-licence', '许可证书名称'),
  certificateNumber: at('shuanggongshi-licence', '许可编号'),
  content: at('shuanggongshi-licence', '许可内容'),
  decidedOn: at('shuanggongshi-licence', '许可决定日期'),
  validFrom: at('shuanggongshi-licence', '有效期自'),
  validUntil: at('shuanggongshi-licence', '有效期至'),
  authority: at('shuanggongshi-licence', '许可机关'),
  authorityUscc: at('shuanggongshi-licence', '许可机关统一社会信用代码'),
};

const platformRecord = {
  code: at('platform-record', '信息类别代码'),
  label: at('platform-record', '信息类别名称'),
  occurredOn: at('platform-record', '发生日期'),
  content: at('platform-record', '信息内容'),
};

const listEntry = {
  kind: at('platform-list-entry', '名单类型'),
  domain: at('platform-list-entry', '名单领域'),
  validFrom: at('platform-list-entry', '有效期自'),
  validUntil: at('platform-list-entry', '有效期至'),
  measures: at('platform-list-entry', '联合奖惩措施'),
};

/** A row as its values in the order of `exportColumns[preset]`: what files write, without the object of `toNationalItems`. */
export interface NationalExportValues {
  preset: ExportPreset;
  values: string[];
}

function asRow({ preset, values }: NationalExportValues): NationalExportRow {
  const row: Record<string, string> = {};
  const columns = exportColumns[preset];
  for (let i = 0; i < columns.length; i++) row[columns[i] as string] = values[i] as string;
  return { preset, row };
}

/** `toNationalItems(record)` as values in column order. */
export function toNationalValues(record: ExportRecord): NationalExportValues {
  const preset = exportPresetOf(record.category);
  const { data } = record;
  const values = startRow(preset, record.subject);
  const cells = common[preset];
  put(values, cells.source, record.source?.name ?? record.providerCode);
  put(values, cells.sourceUscc, record.source?.uscc ?? '');
  put(values, cells.id, record.recordId);
  put(values, cells.version, String(record.version));
  put(values, cells.displayUntil, record.displayUntil ? shanghaiDate(record.displayUntil) : '');

  if (preset === 'shuanggongshi-penalty') {
    const representative = record.relatedPersons?.find((p) => p.role === 'legal_representative');
    if (representative) {
      put(values, penalty.representative, representative.name);
      put(values, penalty.representativeIdType, '身份证');
      put(values, penalty.representativeId, representative.id);
    }
    const kinds = Array.isArray(data.penaltyKinds)
      ? (data.penaltyKinds as (typeof penaltyKinds)[number][])
      : [];
    put(values, penalty.documentNumber, str(data.documentNumber));
    put(values, penalty.violation, str(data.violation));
    put(values, penalty.facts, str(data.facts));
    put(values, penalty.legalBasis, str(data.legalBasis));
    put(values, penalty.kinds, kinds.map((k) => penaltyKindNames[k] ?? '其他').join(';'));
    put(values, penalty.content, str(data.content));
    put(values, penalty.amount, amount(data.amount));
    put(values, penalty.confiscated, amount(data.confiscatedYuan));
    put(values, penalty.licencesAffected, str(data.licencesAffected));
    put(values, penalty.decidedOn, str(data.decidedOn));
    put(values, penalty.authority, str(data.authority));
    put(values, penalty.authorityUscc, str(data.authorityUscc));
  } else if (preset === 'shuanggongshi-licence') {
    put(values, licence.documentName, str(data.licenceName));
    put(values, licence.documentNumber, str(data.licenceNumber));
    put(values, licence.type, licenceTypeNames[str(data.licenceType)] ?? '其他');
    put(values, licence.certificateName, str(data.licenceName));
    put(values, licence.certificateNumber, str(data.certificateNumber));
    put(values, licence.content, str(data.content));
    put(values, licence.decidedOn, str(data.decidedOn));
    put(values, licence.validFrom, str(data.validFrom));
    put(values, licence.validUntil, str(data.validUntil));
    put(values, licence.authority, str(data.issuingAuthority));
    put(values, licence.authorityUscc, str(data.authorityUscc));
  } else {
    put(values, platformRecord.code, record.category);
    put(values, platformRecord.label, findEntry(record.category)?.zh ?? record.category);
    put(values, platformRecord.occurredOn, record.occurredOn);
    // The entry's own fields, as JSON: no national item names them.
    put(values, platformRecord.content, sortedJson(data));
  }
  return { preset, values };
}

/**
 * One catalogue record as one row of national items (or of the platform extension shape when
 * its entry has no national item set). Reads only the record; throws nothing for a well-formed
 * catalogue record. Every column of the preset is present, in order, empty where nothing was given.
 */
export function toNationalItems(record: ExportRecord): NationalExportRow {
  return asRow(toNationalValues(record));
}

/** `listEntryToItems(entry)` as values in column order. */
export function listEntryValues(entry: ExportListEntry): NationalExportValues {
  const preset = 'platform-list-entry';
  const values = startRow(preset, entry.subject);
  const cells = common[preset];
  put(values, listEntry.kind, listKindNames[entry.listKind]);
  put(values, listEntry.domain, entry.domain);
  put(values, listEntry.validFrom, entry.validFrom?.toISOString() ?? '');
  put(values, listEntry.validUntil, entry.validUntil?.toISOString() ?? '');
  put(values, listEntry.measures, entry.measures.join(';'));
  put(values, cells.id, entry.entryId);
  put(values, cells.version, String(entry.version ?? 1));
  return { preset, values };
}

/** A published list entry (红黑名单) as a row of the platform extension shape `platform-list-entry`. */
export function listEntryToItems(entry: ExportListEntry): NationalExportRow {
  return asRow(listEntryValues(entry));
}

/**
 * Bump when the code above renders any row differently (a rule, a format, an order): stored
 * renderings of an older revision are rendered again (services/query renders a public record's
 * open-data lines when it writes the record, and a cut re-renders what carries another stamp).
 */
const exportRenderingRevision = 2;

/**
 * What every stored rendering of an exported row is stamped with: the revision above and a hash
 * of the tables rows are rendered from (columns, catalogue labels and gated fields, names of
 * kinds), so a changed label or column re-renders without anyone remembering to bump.
 */
export const exportRenderingStamp: string = createHash('sha256')
  .update(
    JSON.stringify({
      revision: exportRenderingRevision,
      columns: exportColumns,
      entries: catalogueEntries.map((e) => [e.code, e.zh, e.consentGatedFields]),
      penaltyKindNames,
      licenceTypeNames,
      listKindNames,
    }),
  )
  .digest('hex')
  .slice(0, 16);
