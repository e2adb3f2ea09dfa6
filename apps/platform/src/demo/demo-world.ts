import { shanghaiDate } from '@credit/calendar';
import {
  type CatalogueEntry,
  catalogueEntries,
  generateCitizenId,
  generateOrganisationName,
  generatePersonName,
  generateUscc,
  type Random,
  type SubjectKind,
  seededRandom,
} from '@credit/schema';

/** The demo's departments: who pushes which catalogue entries (every entry has a provider). */
export const demoProviders: { code: string; name: string; classes?: string[]; entries?: string[] }[] = [
  {
    code: 'zb-amr',
    name: '淄博市市场监督管理局',
    classes: ['org_basic', 'penalty_disclosure', 'ecommerce_dishonesty'],
  },
  {
    code: 'zb-tax',
    name: '国家税务总局淄博市税务局',
    entries: ['tax_social_insurance_arrears', 'person_tax_arrears', 'fee_fund_arrears'],
  },
  { code: 'zb-court', name: '淄博市中级人民法院', entries: ['dishonest_judgement_debtor'] },
  {
    code: 'zb-hrss',
    name: '淄博市人力资源和社会保障局',
    classes: ['person_basic'],
    entries: ['exam_cheating', 'academic_fraud'],
  },
  { code: 'zb-civilisation', name: '淄博市精神文明建设委员会办公室', classes: ['good_credit'] },
  { code: 'zb-ggzy', name: '淄博市公共资源交易中心', entries: ['public_resource_trading_violation'] },
];

/** Which provider pushes an entry; the market regulator takes what no other department does. */
export function providerOf(entry: CatalogueEntry): string {
  const owner = demoProviders.find(
    (p) => p.entries?.includes(entry.code) || p.classes?.includes(entry.classCode),
  );
  return owner?.code ?? 'zb-amr';
}

export function categoriesOf(code: string): string[] {
  return catalogueEntries.filter((entry) => providerOf(entry) === code).map((entry) => entry.code);
}

export interface DemoSubject {
  kind: SubjectKind;
  id: string;
  name: string;
}

/** Subjects with valid generated identifiers: enterprises, a few institutions, and adults. */
export function demoSubjects(count: number, random: Random = seededRandom(20_261_121)): DemoSubject[] {
  return Array.from({ length: count }, (_, i) => {
    if (i % 10 < 5)
      return { kind: 'legal_person', id: generateUscc(random, '91'), name: generateOrganisationName(random) };
    if (i % 10 === 5)
      return {
        kind: 'non_enterprise_legal_person',
        id: generateUscc(random, '12'),
        name: generateOrganisationName(random, true),
      };
    return {
      kind: 'natural_person',
      id: generateCitizenId(random, 1960, 2000),
      name: generatePersonName(random),
    };
  });
}

/** The subjects whose list procedure the demo replays (a debtor, its legal representative, one that paid). */
export function historySubjects(random: Random = seededRandom(20_260_701)) {
  const organisation = (): DemoSubject => ({
    kind: 'legal_person',
    id: generateUscc(random, '91'),
    name: generateOrganisationName(random),
  });
  const debtor = organisation();
  const representative: DemoSubject = {
    kind: 'natural_person',
    id: generateCitizenId(random, 1965, 1985),
    name: generatePersonName(random),
  };
  return { debtor, representative, settled: organisation() };
}

/** A date in the last two years, for occurredAt. */
export function recentDate(random: Random, now: Date): string {
  const daysAgo = 20 + Math.floor(random() * 700);
  return shanghaiDate(new Date(now.getTime() - daysAgo * 86_400_000));
}

export { seededRandom };
