import type { RuleDefinition } from '../api/sanctions.ts';

/**
 * The serious-dishonesty black list of intermediaries (严重违法失信“黑名单”, seeds/003 四(六)) as a
 * list rule, for the credit office to load (`POST /v1/rules`): a false report or certificate, a
 * revoked practice qualification, criminal liability, or a declaration found false lists the
 * agency, and its responsible persons with it; the list's measures (domain `intermediary`) are
 * the market ban for the agency and the practice ban for the persons (市场禁入、执业禁入) in
 * government purchasing, tendering, qualification review and new company registration.
 */
export function intermediaryBlacklistRule(identifyingDepartment: string): RuleDefinition {
  return {
    code: 'intermediary-serious-dishonesty',
    name: '涉审中介机构严重违法失信黑名单',
    description:
      '故意出具虚假报告和证明材料、因违法被吊销执业资格、因犯罪被追究刑事责任、虚假申报的涉审中介机构及其相关责任人：市场禁入、执业禁入',
    kind: 'black',
    domain: 'intermediary',
    subjectKinds: ['legal_person', 'non_enterprise_legal_person', 'unincorporated_org'],
    identifyingDepartment,
    condition: {
      type: 'records',
      match: { entries: ['intermediary_serious_dishonesty', 'intermediary_false_declaration'] },
      minCount: 1,
    },
    validityMonths: 36,
    objectionWindowWorkingDays: 10,
    linkRelatedPersons: true,
  };
}
