import { findEntry, optionLabel } from '@credit/schema';

const shanghaiClock = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

const formatted = new Map<string, string>();

/** An instant on the Beijing wall clock to the minute: 2026-12-05 16:41. */
export function shanghaiTime(instant: string): string {
  // Reports repeat instants (receipt times of a batch, display periods): Intl formatting is slow.
  let text = formatted.get(instant);
  if (text === undefined) {
    text = shanghaiClock.format(new Date(instant));
    if (formatted.size >= 10_000) formatted.clear();
    formatted.set(instant, text);
  }
  return text;
}

/** A plain date as it is; an instant as its Beijing date. */
export function shanghaiDate(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return shanghaiTime(value).slice(0, 10);
}

/** Chinese names of the catalogue's `data` fields where the catalogue describes a field in English or not at all. */
const fieldNames: Record<string, string> = {
  legalRepresentative: '法定代表人或者负责人',
  registrationAuthority: '登记机关',
  registeredOn: '成立/登记日期',
  status: '状态',
  address: '住所',
  businessScope: '经营范围',
  registeredCapitalYuan: '注册资本（元）',
  licenceName: '许可证名称',
  licenceNumber: '许可证编号',
  licenceType: '许可类别',
  content: '许可内容',
  issuingAuthority: '发证机关',
  decidedOn: '决定日期',
  validFrom: '有效期自',
  validUntil: '有效期至',
  certificationKind: '认证类别',
  standard: '认证依据标准',
  certificateNumber: '证书编号',
  certificationBody: '认证机构',
  issuedOn: '发证日期',
  registrationNumber: '登记编号',
  mortgagee: '抵押权人',
  securedAmountYuan: '被担保债权数额（元）',
  collateral: '抵押物',
  pledgor: '出质人',
  pledgee: '质权人',
  pledgedEquityAmountYuan: '出质股权数额（元）',
  rightKind: '权利类别',
  rightNumber: '权利编号',
  mark: '商标',
  niceClass: '类别',
  title: '名称',
  description: '内容',
  recordedOn: '记录日期',
  employer: '工作单位',
  employerUscc: '工作单位统一社会信用代码',
  position: '职务',
  since: '起始日期',
  until: '终止日期',
  monthlyIncome: '月收入',
  level: '级别',
  institution: '院校',
  major: '专业',
  graduatedOn: '毕业日期',
  qualification: '资格',
  kind: '类别',
  deposits: '存款',
  securities: '有价证券',
  commercialInsurance: '商业保险',
  realEstate: '不动产',
  taxPaid: '纳税数额',
  documentNumber: '文书号',
  authority: '认定部门',
  authorityUscc: '认定部门统一社会信用代码',
  arrearsKind: '欠缴类别',
  amount: '金额（元）',
  periodFrom: '所属期起',
  periodTo: '所属期止',
  settledOn: '结清日期',
  severity: '失信程度',
  caseNumber: '案号',
  court: '执行法院',
  basisDocument: '执行依据文号',
  obligation: '生效法律文书确定的义务',
  dishonestBehaviour: '失信行为',
  publishedOn: '发布日期',
  feeName: '费用名称',
  dueOn: '应缴日期',
  matter: '涉及的行政管理事项',
  facts: '事实',
  violation: '违法行为类型',
  legalBasis: '依据',
  penaltyKinds: '处罚种类',
  confiscatedYuan: '没收金额（元）',
  performedOn: '履行完毕日期',
  measure: '措施',
  domain: '领域',
  accidentOn: '事故日期',
  grade: '等级',
  casualties: '伤亡情况',
  handling: '处理情况',
  listKind: '名单类别',
  reason: '事由',
  removedOn: '移出日期',
  industry: '行业',
  startsOn: '开始日期',
  endsOn: '结束日期',
  lifelong: '终身',
  inspectionKind: '检查类别',
  item: '事项',
  result: '结果',
  rectifiedOn: '整改日期',
  projectName: '项目名称',
  projectCode: '项目编号',
  commitmentRef: '所违背的承诺',
  breach: '违诺情形',
  taxKind: '税种',
  examination: '考试名称',
  examDate: '考试日期',
  context: '情形',
  companyName: '企业名称',
  companyUscc: '企业统一社会信用代码',
  roleInCompany: '在企业中的职务',
  platform: '电子商务平台名称',
  platformUscc: '平台统一社会信用代码',
  shopName: '店铺名称',
  shopId: '店铺编号',
  establishedBy: '认定机关或平台',
  reviewCount: '虚假评价数量',
  fakeOrderCount: '虚假交易数量',
  claim: '宣传内容',
  goods: '商品',
  practice: '行为',
  commitment: '承诺内容',
  grantedBy: '授予单位',
  grantedOn: '授予日期',
  commitmentKind: '承诺类别',
  acceptedBy: '受理单位',
  committedOn: '承诺日期',
  evaluationYear: '评价年度',
  evaluatedBy: '评价单位',
  evaluatedOn: '评价日期',
  penaltyKind: '处罚种类',
};

/** Fields naming who decided or issued a record: shown as its 认定部门. */
export const authorityFields = [
  'authority',
  'registrationAuthority',
  'issuingAuthority',
  'certificationBody',
  'court',
  'grantedBy',
  'acceptedBy',
  'evaluatedBy',
  'establishedBy',
] as const;

const labels = new Map<string, Map<string, string>>();

/**
 * A `data` field's Chinese name: the catalogue's own where it describes the field in Chinese for
 * this entry (违法事实, 罚款金额 (元)), else the common name of the field, else its code.
 */
export function fieldLabel(category: string, field: string): string {
  let byField = labels.get(category);
  if (!byField) {
    byField = new Map();
    const shape = findEntry(category)?.data.shape ?? {};
    for (const [name, schema] of Object.entries(shape)) {
      const description = (schema as { description?: string }).description ?? '';
      // A description in Chinese names the field; an English one describes its type.
      if (/^[\u4e00-\u9fff]/.test(description)) byField.set(name, description.split(':')[0]?.trim() ?? name);
    }
    labels.set(category, byField);
  }
  return byField.get(field) ?? fieldNames[field] ?? field;
}

/**
 * A record's fields in the order its catalogue entry declares them, any others after them by
 * name: the same record reads the same whatever order its JSON came in, which is what lets a
 * verifier render the signed report again and compare the pages.
 */
export function inCatalogueOrder<T>(category: string, fields: [string, T][]): [string, T][] {
  const declared = Object.keys(findEntry(category)?.data.shape ?? {});
  const rank = (field: string) => {
    const at = declared.indexOf(field);
    return at === -1 ? declared.length : at;
  };
  return [...fields].sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A `data` value as a reader reads it: a value of one of the catalogue's closed sets as its
 * Chinese label (有履行能力而拒不履行…, never `refusing_to_perform_with_ability`), lists joined.
 */
export function formatValue(category: string, field: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (typeof value === 'string') return optionLabel(category, field, value) ?? value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map((v) => formatValue(category, field, v)).join('、');
  return JSON.stringify(value);
}
