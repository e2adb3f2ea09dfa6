import { type FieldCategory, findKeys, type KeyHit } from './key-words.ts';

/**
 * Information about a natural person collected only with their written consent (未经本人书面同意,
 * 不得归集自然人收入、存款、有价证券、商业保险、不动产以及纳税数额的信息). The catalogue defines these
 * fields on a few person entries; a record carrying one must cite a consent on file.
 */
export const consentGatedFieldCategories = [
  {
    code: 'income',
    zh: '收入',
    en: 'income',
    chinese: ['收入', '工资', '薪酬'],
    english: [['income'], ['salary'], ['wage'], ['wages']],
  },
  {
    code: 'deposits',
    zh: '存款',
    en: 'deposits',
    chinese: ['存款'],
    english: [['deposit'], ['deposits'], ['savings']],
  },
  {
    code: 'securities',
    zh: '有价证券',
    en: 'securities',
    chinese: ['有价证券', '证券', '股票'],
    english: [['securities'], ['stocks'], ['bonds'], ['shareholdings']],
  },
  {
    code: 'commercial_insurance',
    zh: '商业保险',
    en: 'commercial insurance',
    chinese: ['商业保险'],
    english: [
      ['commercial', 'insurance'],
      ['insurance', 'policies'],
      ['insurance', 'policy'],
    ],
  },
  {
    code: 'real_estate',
    zh: '不动产',
    en: 'real estate',
    chinese: ['不动产', '房产'],
    english: [['real', 'estate'], ['property', 'holdings'], ['realty']],
  },
  {
    code: 'tax_amount',
    zh: '纳税数额',
    en: 'tax amounts',
    chinese: ['纳税数额', '纳税额'],
    english: [
      ['tax', 'paid'],
      ['tax', 'amount'],
      ['taxes', 'paid'],
    ],
  },
] as const satisfies readonly FieldCategory<string>[];

export type ConsentGatedCategory = (typeof consentGatedFieldCategories)[number]['code'];

export const consentGatedCategoryCodes = consentGatedFieldCategories.map(
  (c) => c.code,
) as ConsentGatedCategory[];

export function findConsentGatedFields(value: unknown): KeyHit<ConsentGatedCategory>[] {
  return findKeys(value, consentGatedFieldCategories);
}
