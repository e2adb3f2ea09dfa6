import { describe, expect, it } from 'vitest';
import { catalogueEntries, findConsentGatedFields, findProhibitedFields, keyWords } from '../src/index.ts';

const spellings: Record<string, string[]> = {
  religious_belief: [
    '宗教信仰',
    'religion',
    'religious_belief',
    'religiousBelief',
    'ReligiousBelief',
    'faith',
  ],
  genetic_data: [
    '基因',
    'gene',
    'genes',
    'genetic_data',
    'geneticData',
    'DNA',
    'dna_sample',
    'genomeSequence',
  ],
  fingerprint: ['指纹', 'fingerprint', 'fingerprints', 'finger_print', 'fingerPrint', 'FINGERPRINT_HASH'],
  blood_type: ['血型', 'blood_type', 'bloodType', 'BloodType', 'bloodtype', 'blood-group', 'bloodGroup'],
  disease_history: [
    '疾病',
    '病史',
    '既往病史',
    'disease',
    'diseases',
    'chronicDiseases',
    'medical_history',
    'medicalHistory',
    'illness',
    'diagnosis',
  ],
};

describe('prohibited fields', () => {
  for (const [category, keys] of Object.entries(spellings)) {
    it.each(keys)(`detects ${category} spelled %s at the top level and nested`, (key) => {
      expect(findProhibitedFields({ [key]: 'x' })).toEqual([{ path: key, key, category }]);
      const nested = { data: { person: [{ ok: 1 }, { [key]: { value: 'x' } }] } };
      expect(findProhibitedFields(nested)).toEqual([{ path: `data.person.1.${key}`, key, category }]);
    });
  }

  it.each([
    'general',
    'generatedAt',
    'agent',
    'genre',
    'finger',
    'bloodDonationCount',
    'typeCode',
    'venue',
    'deposition',
  ])('does not mistake %s for a prohibited field', (key) => {
    expect(findProhibitedFields({ [key]: 'x' })).toEqual([]);
  });

  it('splits keys into words across spellings', () => {
    expect(keyWords('bloodType')).toEqual(['blood', 'type']);
    expect(keyWords('BLOOD_TYPE')).toEqual(['blood', 'type']);
    expect(keyWords('HTMLParserVersion')).toEqual(['html', 'parser', 'version']);
  });

  it('no catalogue field is mistaken for prohibited information', () => {
    for (const entry of catalogueEntries) {
      expect(findProhibitedFields(entry.sample), entry.code).toEqual([]);
      for (const key of Object.keys(entry.data.shape))
        expect(findProhibitedFields({ [key]: 1 }), `${entry.code}.${key}`).toEqual([]);
    }
  });

  it('the consent-gated fields the catalogue defines are detected as such, and no other field is', () => {
    for (const entry of catalogueEntries) {
      for (const key of Object.keys(entry.data.shape)) {
        const gated = findConsentGatedFields({ [key]: 1 }).length > 0;
        expect(gated, `${entry.code}.${key}`).toBe(entry.consentGatedFields.includes(key));
      }
    }
    expect(
      findConsentGatedFields({ 收入: 1, 存款: 1, 有价证券: 1, 商业保险: 1, 不动产: 1, 纳税数额: 1 }),
    ).toHaveLength(6);
  });
});
