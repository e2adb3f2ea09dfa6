import type { z } from 'zod';
import { labelledEnum, optionLabelOf } from '../catalogue/fields.ts';

/**
 * Intermediaries in administrative approval (涉审中介机构), seeds/003 二、管理对象: the six groups
 * of agencies taking part in approval, each supervised by its industry's departments, graded on
 * its industry's scale (四(五) 信用评价) and committing in its industry's format (四(三) 信用承诺书).
 * Which registered department supervises which industry is registry data (a provider's
 * `industries`, as its `categories` say what it may push); `supervisors` below names the kind of
 * department the seed assigns, for readers.
 */
export const intermediaryIndustrySchema = labelledEnum({
  design_consulting: '设计咨询机构',
  attestation_technical: '鉴证及技术机构',
  appraisal: '评估机构',
  audit: '独立审计机构（会计、审计）',
  tendering_agency: '招投标代理机构',
  other: '其他涉审中介机构',
}).describe('Intermediary industry group (seeds/003 二)');
export type IntermediaryIndustry = z.infer<typeof intermediaryIndustrySchema>;
export const intermediaryIndustries = intermediaryIndustrySchema.options;

/** The label a reader sees for an industry (设计咨询机构…). */
export function industryLabel(industry: IntermediaryIndustry): string {
  return optionLabelOf(intermediaryIndustrySchema, industry) ?? industry;
}

/**
 * Where a grade stands for graded supervision (四(四)、(六)): `high` earns the green channel and
 * preference, `low` warnings and entry restrictions, `middle` neither.
 */
export const gradeTiers = ['high', 'middle', 'low'] as const;
export type GradeTier = (typeof gradeTiers)[number];

export interface IndustryGrade {
  code: string;
  label: string;
  tier: GradeTier;
}

export interface CommitmentClause {
  code: string;
  text: string;
}

export interface IntermediaryIndustryDefinition {
  code: IntermediaryIndustry;
  zh: string;
  en: string;
  /** What the seed lists under the group. */
  scope: string;
  /** The kinds of department supervising it (行业主管部门), as the seed's practice assigns them. */
  supervisors: readonly string[];
  /** The industry's evaluation scale, best first (四(五)). */
  grades: readonly IndustryGrade[];
  /** The credit commitment (信用承诺书) in the industry's format: every clause must be accepted. */
  commitment: { title: string; clauses: readonly CommitmentClause[] };
  basis: string;
}

const letterScale = (labels: readonly [string, string, string, string, string]): IndustryGrade[] => [
  { code: 'AAA', label: labels[0], tier: 'high' },
  { code: 'AA', label: labels[1], tier: 'high' },
  { code: 'A', label: labels[2], tier: 'middle' },
  { code: 'B', label: labels[3], tier: 'low' },
  { code: 'C', label: labels[4], tier: 'low' },
];

/** Clauses every format carries (四(三): 信用状况、服务内容及规范、违规违约责任). */
const commonClauses: readonly CommitmentClause[] = [
  {
    code: 'truthful',
    text: '本机构申报的资质、能力、执业和历史交易等信息真实、准确、完整，不存在虚假记载、误导性陈述或重大遗漏。',
  },
  {
    code: 'lawful_practice',
    text: '严格遵守国家法律、法规和规章及行业规范，依法依规开展中介服务，接受行业主管部门的管理和服务对象的监督。',
  },
  {
    code: 'service_standards',
    text: '按照公开的服务内容、标准、时限和收费开展服务，不以不正当手段承揽业务。',
  },
  {
    code: 'liability',
    text: '违背承诺的，自愿承担违约责任并依法承担相应法律责任，同意将失信行为记入信用记录并向社会公开。',
  },
];

const formatOf = (kind: string, clauses: readonly CommitmentClause[]) => ({
  title: `涉审中介机构信用承诺书（${kind}）`,
  clauses: [...commonClauses, ...clauses],
});

const basis = 'seeds/003 二、管理对象; 四(三) 信用承诺书; 四(五) 信用评价';

export const intermediaryIndustryCatalogue: readonly IntermediaryIndustryDefinition[] = [
  {
    code: 'design_consulting',
    zh: '设计咨询机构',
    en: 'Design and consulting',
    scope: '信息、技术、工程等设计咨询机构',
    supervisors: ['发展改革部门', '住房城乡建设部门', '工业和信息化部门'],
    grades: letterScale(['AAA级', 'AA级', 'A级', 'B级', 'C级']),
    commitment: formatOf('设计咨询类', [
      { code: 'design_quality', text: '对出具的设计文件、咨询报告的质量负责，不出具与事实不符的结论。' },
    ]),
    basis,
  },
  {
    code: 'attestation_technical',
    zh: '鉴证及技术机构',
    en: 'Attestation and technical services',
    scope: '鉴定、检测、检验、测绘、认证、公证等鉴证及技术机构',
    supervisors: ['市场监督管理部门', '自然资源部门', '司法行政部门'],
    grades: [
      { code: 'A', label: 'A类（诚信）', tier: 'high' },
      { code: 'B', label: 'B类（基本诚信）', tier: 'middle' },
      { code: 'C', label: 'C类（失信）', tier: 'low' },
      { code: 'D', label: 'D类（严重失信）', tier: 'low' },
    ],
    commitment: formatOf('鉴证及技术类', [
      {
        code: 'independent_results',
        text: '独立、客观、公正地出具鉴定、检测、检验结果，原始记录完整可追溯，不出具虚假数据和结果。',
      },
    ]),
    basis,
  },
  {
    code: 'appraisal',
    zh: '评估机构',
    en: 'Appraisal and assessment',
    scope:
      '资产、土地、资源、安全、水资源、水土保持、节能、建设项目价值评估、环境影响、安全生产、地震安全、交通影响、防洪影响等评估机构',
    supervisors: ['财政部门', '自然资源部门', '生态环境部门', '应急管理部门', '水利部门'],
    grades: letterScale(['AAA级', 'AA级', 'A级', 'B级', 'C级']),
    commitment: formatOf('评估类', [
      { code: 'fair_valuation', text: '遵循评估准则，不按委托方意图出具评估结论，不出具虚假评估评价报告。' },
    ]),
    basis,
  },
  {
    code: 'audit',
    zh: '独立审计机构（会计、审计）',
    en: 'Independent audit (accounting and audit firms)',
    scope: '会计、审计等独立审计机构',
    supervisors: ['财政部门', '审计部门'],
    grades: [
      { code: 'A', label: 'A级', tier: 'high' },
      { code: 'B', label: 'B级', tier: 'middle' },
      { code: 'C', label: 'C级', tier: 'low' },
      { code: 'D', label: 'D级', tier: 'low' },
    ],
    commitment: formatOf('独立审计类', [
      {
        code: 'audit_independence',
        text: '保持独立性，遵守执业准则，不出具虚假审计报告、验资报告和资信证明。',
      },
    ]),
    basis,
  },
  {
    code: 'tendering_agency',
    zh: '招投标代理机构',
    en: 'Tendering agents',
    scope: '招投标等代理机构',
    supervisors: ['发展改革部门', '住房城乡建设部门', '公共资源交易管理部门'],
    grades: letterScale(['AAA级', 'AA级', 'A级', 'B级', 'C级']),
    commitment: formatOf('招投标代理类', [
      {
        code: 'no_collusion',
        text: '不与招标人、投标人串通，不泄露应当保密的信息，不在所代理项目中投标或代理投标。',
      },
    ]),
    basis,
  },
  {
    code: 'other',
    zh: '其他涉审中介机构',
    en: 'Other intermediaries in administrative approval',
    scope: '涉及行政审批服务的其他社会中介机构',
    supervisors: ['相关行业主管部门'],
    grades: [
      { code: 'excellent', label: '优秀', tier: 'high' },
      { code: 'good', label: '良好', tier: 'middle' },
      { code: 'qualified', label: '合格', tier: 'middle' },
      { code: 'unqualified', label: '不合格', tier: 'low' },
    ],
    commitment: formatOf('其他类', []),
    basis,
  },
];

const byIndustry = new Map(intermediaryIndustryCatalogue.map((definition) => [definition.code, definition]));
if (byIndustry.size !== intermediaryIndustries.length) throw new Error('an industry without its definition');

export function industryDefinition(industry: IntermediaryIndustry): IntermediaryIndustryDefinition {
  const definition = byIndustry.get(industry);
  if (!definition) throw new Error(`no definition for industry ${industry}`);
  return definition;
}

/** The grade of `code` on `industry`'s scale, or undefined when the scale has no such grade (422). */
export function industryGrade(industry: IntermediaryIndustry, code: string): IndustryGrade | undefined {
  return industryDefinition(industry).grades.find((grade) => grade.code === code);
}

/** The clause codes a commitment in `industry`'s format must accept, in order. */
export function requiredClauses(industry: IntermediaryIndustry): string[] {
  return industryDefinition(industry).commitment.clauses.map((clause) => clause.code);
}
