import { type FieldCategory, findKeys, type KeyHit } from './key-words.ts';

/**
 * Information the credit office may never collect (淄博市公共信用信息管理暂行办法: 禁止归集自然人的
 * 宗教信仰、基因、指纹、血型、疾病和病史信息). A submission naming any of these, at any depth and in
 * any spelling, is refused whole; nothing of it is stored, logged or forwarded.
 */
export const prohibitedFieldCategories = [
  {
    code: 'religious_belief',
    zh: '宗教信仰',
    en: 'religious belief',
    chinese: ['宗教', '信仰'],
    english: [['religion'], ['religions'], ['religious'], ['faith'], ['creed']],
  },
  {
    code: 'genetic_data',
    zh: '基因',
    en: 'genes',
    chinese: ['基因'],
    english: [['gene'], ['genes'], ['genetic'], ['genetics'], ['genome'], ['genomic'], ['dna'], ['genotype']],
  },
  {
    code: 'fingerprint',
    zh: '指纹',
    en: 'fingerprints',
    chinese: ['指纹'],
    english: [['fingerprint'], ['fingerprints'], ['finger', 'print'], ['finger', 'prints']],
  },
  {
    code: 'blood_type',
    zh: '血型',
    en: 'blood type',
    chinese: ['血型'],
    english: [['blood', 'type'], ['blood', 'group'], ['abo']],
  },
  {
    code: 'disease_history',
    zh: '疾病和病史',
    en: 'diseases and medical history',
    chinese: ['疾病', '病史', '病历', '既往病'],
    english: [
      ['disease'],
      ['diseases'],
      ['illness'],
      ['illnesses'],
      ['diagnosis'],
      ['diagnoses'],
      ['medical', 'history'],
      ['medical', 'record'],
      ['medical', 'records'],
      ['medical', 'condition'],
      ['health', 'condition'],
      ['disease', 'history'],
    ],
  },
] as const satisfies readonly FieldCategory<string>[];

export type ProhibitedCategory = (typeof prohibitedFieldCategories)[number]['code'];

export function findProhibitedFields(value: unknown): KeyHit<ProhibitedCategory>[] {
  return findKeys(value, prohibitedFieldCategories);
}

const prohibitedNames = new Map<string, string>(
  prohibitedFieldCategories.map((c) => [c.code, `${c.zh} / ${c.en}`]),
);

/** Each prohibited field in the input as a field error: where it is, and what may never be collected. */
export function prohibitedFieldErrors(
  value: unknown,
): { path: string; code: 'prohibited_field'; message: string }[] {
  return findProhibitedFields(value).map((hit) => ({
    path: hit.path,
    code: 'prohibited_field',
    message: `${prohibitedNames.get(hit.category)} may never be collected`,
  }));
}
