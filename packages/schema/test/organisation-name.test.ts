import { describe, expect, it } from 'vitest';
import { nameGrams, nameScore, normaliseOrganisationName as normalise } from '../src/index.ts';

const registered = normalise('淄博华润陶瓷有限公司');

describe('organisation name normalisation', () => {
  it('folds full-width forms, brackets, spaces, punctuation and case', () => {
    expect(normalise('淄博 华润·陶瓷（ＡＢ）有限公司').core).toBe('华润陶瓷AB');
    expect(normalise('淄博华润陶瓷(ab)有限公司').key).toBe(normalise('淄博 华润陶瓷（ＡＢ） 有限公司').key);
  });

  it('reads traditional characters as simplified (OpenCC), Taiwan and Hong Kong forms alike', () => {
    expect(normalise('淄博華潤陶瓷有限責任公司')).toMatchObject({ core: '华润陶瓷', legalForm: 'company' });
    expect(normalise('臺灣華潤陶瓷有限公司').regions).toEqual(['台湾']);
  });

  it('treats legal-form suffixes as equivalent, and a slip in a long one still as a suffix', () => {
    const keys = [
      '淄博华润陶瓷有限公司',
      '淄博华润陶瓷有限责任公司',
      '淄博华润陶瓷股份有限公司',
      '淄博华润陶瓷',
      '淄博华润陶瓷有限公同',
    ];
    expect(new Set(keys.map((k) => normalise(k).key))).toEqual(new Set(['华润陶瓷']));
    expect(normalise('淄博华润投资中心（有限合伙）')).toMatchObject({
      core: '华润投资中心',
      legalForm: 'partnership',
    });
    expect(normalise('淄博华润陶瓷股份有限公司').legalForm).toBe('company');
  });

  it('sets region prefixes apart, with or without their level words, in front or in brackets', () => {
    expect(normalise('山东省淄博市华润陶瓷有限公司')).toMatchObject({
      core: '华润陶瓷',
      regions: ['山东', '淄博'],
    });
    expect(normalise('华润陶瓷（淄博）有限公司')).toMatchObject({ core: '华润陶瓷', regions: ['淄博'] });
    expect(normalise('淄博市张店区华润陶瓷有限公司').regions).toEqual(['淄博', '张店']);
    // A bare district name is a common trade name (淄博博山化工), and a core is never emptied.
    expect(normalise('淄博博山化工有限公司').core).toBe('博山化工');
    expect(normalise('山东淄博有限公司').core).toBe('淄博');
  });

  it('links a branch to its parent: the parent’s name is the core, the branch part is kept', () => {
    const branch = normalise('淄博华润陶瓷有限公司张店分公司');
    expect(branch).toMatchObject({ core: '华润陶瓷', branch: '张店分公司', key: '华润陶瓷/张店分公司' });
    expect(nameScore(branch, registered)).toBeGreaterThan(0.85);
    expect(nameScore(branch, branch)).toBe(1);
    expect(nameScore(registered, branch)).toBeLessThan(nameScore(registered, registered));
  });

  it('scores the name before its region: a dropped region costs nothing, a contradicting one a little', () => {
    expect(nameScore(normalise('华润陶瓷有限公司'), registered)).toBe(1);
    expect(nameScore(normalise('济南华润陶瓷有限公司'), registered)).toBeCloseTo(0.9);
    expect(nameScore(normalise('淄博华闰陶瓷有限公司'), registered)).toBe(0.75);
    expect(nameScore(normalise('淄博华润陶器有限公司'), registered)).toBeGreaterThan(
      nameScore(normalise('淄博华润陶器有限公司'), normalise('淄博恒通化工有限公司')),
    );
  });

  it('indexes character pairs of the core only, adjacent and one or two characters apart', () => {
    expect(nameGrams(registered).sort()).toEqual(['华润', '润陶', '陶瓷', '华_陶', '润_瓷', '华__瓷'].sort());
  });
});
