import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkCitizenId,
  checkSubjectIdentifier,
  checkUscc,
  citizenIdCheckCharacter,
  citizenIdSchema,
  discloseIdentity,
  generateCitizenId,
  generateUscc,
  type IdentityReader,
  isAdultAt,
  maskCitizenId,
  seededRandom,
  subjectIdSchema,
  usccCheckCharacter,
  usccSchema,
  zodIssuesToErrors,
} from '../src/index.ts';

// Sample numbers printed in GB 11643-1999 and GB 32100-2015 themselves: check-digit vectors, not people.
const standardCitizenId = '11010519491231002X';
const standardUscc = '91350100M000100Y43';

describe('USCC (GB 32100-2015)', () => {
  it('accepts the standard’s example and generated codes', () => {
    expect(checkUscc(standardUscc)).toEqual({ ok: true, value: standardUscc });
    const random = seededRandom(7);
    for (let i = 0; i < 200; i++) expect(checkUscc(generateUscc(random)).ok).toBe(true);
  });

  it('normalises case, surrounding spaces and full-width characters', () => {
    expect(checkUscc(`  ${standardUscc.toLowerCase()}\t`)).toEqual({ ok: true, value: standardUscc });
    const fullWidth = [...standardUscc].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
    expect(checkUscc(fullWidth)).toEqual({ ok: true, value: standardUscc });
  });

  it('refuses a wrong check character', () => {
    const wrong = standardUscc.slice(0, 17) + (standardUscc.endsWith('3') ? '4' : '3');
    expect(checkUscc(wrong)).toMatchObject({ ok: false, reason: expect.stringContaining('check character') });
  });

  it.each(['I', 'O', 'Z', 'S', 'V'])('refuses the forbidden letter %s', (letter) => {
    const body = `${standardUscc.slice(0, 9)}${letter}${standardUscc.slice(10, 17)}`;
    expect(checkUscc(`${body}A`)).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`'${letter}'`),
    });
  });

  it('refuses a registration department and type pair GB 32100 does not define', () => {
    for (const prefix of ['37', '96', 'Y2', 'B1']) {
      const body = `${prefix}${standardUscc.slice(2, 17)}`;
      expect(checkUscc(body + usccCheckCharacter(body)), prefix).toMatchObject({
        ok: false,
        reason: expect.stringContaining('GB 32100'),
      });
    }
  });

  it('refuses positions 9–17 that are not an organisation code (GB 11714 check)', () => {
    const body = `${standardUscc.slice(0, 16)}${standardUscc.charAt(16) === '4' ? '5' : '4'}`;
    expect(checkUscc(body + usccCheckCharacter(body))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('GB 11714'),
    });
  });

  it('refuses wrong lengths and a non-numeric region code', () => {
    expect(checkUscc(standardUscc.slice(0, 17)).ok).toBe(false);
    expect(checkUscc(`${standardUscc}0`).ok).toBe(false);
    const letterRegion = `91A50100M000100Y4`;
    expect(checkUscc(letterRegion + usccCheckCharacter(letterRegion))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('region'),
    });
  });
});

describe('citizen identity number (GB 11643-1999)', () => {
  it('accepts the standard’s example and generated numbers', () => {
    expect(checkCitizenId(standardCitizenId)).toEqual({ ok: true, value: standardCitizenId });
    const random = seededRandom(11);
    for (let i = 0; i < 200; i++) expect(checkCitizenId(generateCitizenId(random)).ok).toBe(true);
  });

  it('normalises a lower-case x and surrounding spaces', () => {
    expect(checkCitizenId(` ${standardCitizenId.toLowerCase()} `)).toEqual({
      ok: true,
      value: standardCitizenId,
    });
  });

  it('refuses a wrong check character', () => {
    expect(checkCitizenId('110105194912310021')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('check character'),
    });
  });

  it.each([
    ['February 30th', '19900230'],
    ['February 29th of a common year', '19900229'],
    ['month 13', '19901301'],
    ['day 00', '19900100'],
    ['before 1900', '18991231'],
  ])('refuses an impossible birth date: %s', (_name, date) => {
    const body = `110105${date}002`;
    expect(checkCitizenId(body + citizenIdCheckCharacter(body))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('birth date'),
    });
  });

  it('accepts February 29th of a leap year and refuses a future birth date', () => {
    const leap = '110105200002290021';
    const leapId = leap.slice(0, 17) + citizenIdCheckCharacter(leap.slice(0, 17));
    expect(checkCitizenId(leapId).ok).toBe(true);
    const future = '11010520990101002';
    expect(checkCitizenId(future + citizenIdCheckCharacter(future), new Date('2026-01-01'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('future'),
    });
  });

  it('refuses an address code outside any province and a 15-digit old-format number', () => {
    const body = '99010519491231002';
    expect(checkCitizenId(body + citizenIdCheckCharacter(body)).ok).toBe(false);
    expect(checkCitizenId('110105491231002').ok).toBe(false);
  });

  it('knows full civil capacity starts at 18 and masks birth date and sequence', () => {
    expect(isAdultAt(standardCitizenId, new Date('1967-12-30T00:00:00Z'))).toBe(false);
    expect(isAdultAt(standardCitizenId, new Date('1967-12-31T00:00:00Z'))).toBe(true);
    expect(maskCitizenId(standardCitizenId)).toBe('110105********002X');
  });

  it('masks a person to each level of the disclosure rule, and never an organisation', () => {
    const identity = { id: standardCitizenId, name: '欧阳娜娜' };
    const shown = (reader: IdentityReader) => discloseIdentity(reader, 'subject', 'natural_person', identity);
    expect(shown({ as: 'self' })).toEqual(identity);
    expect(shown({ as: 'agency', purpose: 'tender' })).toEqual({
      id: '110105********002X',
      name: '欧阳娜娜',
    });
    expect(shown({ as: 'staff' })).toEqual({ id: '110105********002X', name: '欧***' });
    expect(shown({ as: 'platform' })).toEqual({ id: '110***********002X', name: '欧*' });
    expect(discloseIdentity({ as: 'public' }, 'related', 'natural_person', identity)).toEqual({
      id: '',
      name: '',
    });
    const company = { id: generateUscc(seededRandom(5)), name: '淄博某有限公司' };
    expect(discloseIdentity({ as: 'public' }, 'subject', 'legal_person', company)).toEqual(company);
  });
});

describe('subject kind against identifier', () => {
  it('fits an organisation’s kind to its USCC type code where the code tells', () => {
    const enterprise = generateUscc(seededRandom(3), '91');
    expect(checkSubjectIdentifier('legal_person', enterprise).ok).toBe(true);
    expect(checkSubjectIdentifier('unincorporated_org', enterprise).ok).toBe(true);
    expect(checkSubjectIdentifier('non_enterprise_legal_person', enterprise)).toMatchObject({
      ok: false,
      problem: { code: 'subject_kind_mismatch' },
    });
    const institution = generateUscc(seededRandom(4), '12');
    expect(checkSubjectIdentifier('non_enterprise_legal_person', institution).ok).toBe(true);
    expect(checkSubjectIdentifier('legal_person', institution)).toMatchObject({
      ok: false,
      problem: { code: 'subject_kind_mismatch' },
    });
    const lawFirm = generateUscc(seededRandom(5), '31');
    for (const kind of ['legal_person', 'unincorporated_org', 'non_enterprise_legal_person'] as const) {
      expect(checkSubjectIdentifier(kind, lawFirm).ok).toBe(true);
    }
  });

  it('refuses a person with a USCC, an organisation with an ID number, and a minor', () => {
    expect(checkSubjectIdentifier('natural_person', standardUscc)).toMatchObject({
      ok: false,
      problem: { code: 'subject_kind_mismatch' },
    });
    expect(checkSubjectIdentifier('legal_person', standardCitizenId)).toMatchObject({
      ok: false,
      problem: { code: 'subject_kind_mismatch' },
    });
    const minor = generateCitizenId(seededRandom(9), 2015, 2015);
    expect(checkSubjectIdentifier('natural_person', minor, new Date('2026-01-01'))).toMatchObject({
      ok: false,
      problem: { code: 'subject_not_adult' },
    });
  });
});

describe('the shared identifier schemas of the API', () => {
  it('judge with the same checks as the domain, check characters included', () => {
    const random = seededRandom(24_7);
    for (let i = 0; i < 200; i++) {
      const organisation = generateUscc(random);
      const person = generateCitizenId(random);
      expect(usccSchema.safeParse(organisation).success).toBe(true);
      expect(citizenIdSchema.safeParse(person).success).toBe(true);
      expect(subjectIdSchema.safeParse(organisation).success).toBe(true);
      expect(subjectIdSchema.safeParse(person).success).toBe(true);
      expect(citizenIdSchema.safeParse(organisation).success).toBe(checkCitizenId(organisation).ok);
      expect(usccSchema.safeParse(person).success).toBe(checkUscc(person).ok);
    }
    // Issue #24.7: the organisation code's check character (position 17) is wrong.
    expect(checkUscc('91370303PR1XM0001A').ok).toBe(false);
    const refused = usccSchema.safeParse('91370303PR1XM0001A');
    expect(refused.success).toBe(false);
    expect(zodIssuesToErrors(refused.error?.issues ?? [], 'body')).toEqual([
      { path: 'body', code: 'invalid_identifier', message: expect.stringContaining('organisation code') },
    ]);
  });

  it('normalise as the checks do, and say in JSON Schema which identifier they are', () => {
    expect(usccSchema.parse(` ${standardUscc.toLowerCase()} `)).toBe(standardUscc);
    expect(subjectIdSchema.parse('１１０１０５１９４９１２３１００２ｘ')).toBe(standardCitizenId);
    // Each is a named definition (an OpenAPI component), referenced where it is used.
    const document = z.toJSONSchema(z.object({ a: usccSchema, b: citizenIdSchema, c: subjectIdSchema }));
    expect(document.properties).toEqual({
      a: { $ref: '#/$defs/Uscc' },
      b: { $ref: '#/$defs/CitizenId' },
      c: { $ref: '#/$defs/SubjectId' },
    });
    expect(document.$defs).toMatchObject({
      Uscc: { type: 'string', format: 'uscc' },
      CitizenId: { type: 'string', format: 'citizen-id' },
      SubjectId: { type: 'string', format: 'subject-id' },
    });
  });
});
