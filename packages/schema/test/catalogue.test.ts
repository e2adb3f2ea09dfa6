import { describe, expect, it } from 'vitest';
import {
  catalogueClasses,
  catalogueEntries,
  displayUntil,
  effectivePublicity,
  exportCatalogue,
  findEntry,
  generateCitizenId,
  generateUscc,
  seededRandom,
  validateRecordInput,
} from '../src/index.ts';

const random = seededRandom(2026);
const now = new Date('2026-11-21T00:00:00Z');

function envelope(code: string, data: Record<string, unknown>) {
  const entry = findEntry(code);
  if (!entry) throw new Error(code);
  const kind = entry.subjectKinds[0] as string;
  const id =
    kind === 'natural_person'
      ? generateCitizenId(random)
      : generateUscc(random, kind === 'non_enterprise_legal_person' ? '12' : '91');
  return {
    sourceId: `S-${code}`,
    category: code,
    subject: { kind, id, name: '样例主体' },
    occurredAt: '2025-10-20',
    data,
  };
}

describe('the collection catalogue', () => {
  it('covers every class SPEC.md lists, each entry with names, kinds, publicity and a stable code', () => {
    const classes = new Set(catalogueEntries.map((e) => e.classCode));
    for (const cls of catalogueClasses) expect(classes.has(cls.code), cls.code).toBe(true);
    for (const entry of catalogueEntries) {
      expect(entry.code).toMatch(/^[a-z][a-z_]+$/);
      expect(entry.zh.length).toBeGreaterThan(1);
      expect(entry.en.length).toBeGreaterThan(1);
      expect(entry.subjectKinds.length).toBeGreaterThan(0);
      expect(['public', 'authorised', 'government']).toContain(entry.publicity);
      expect(entry.severity !== undefined).toBe(
        entry.classCode === 'dishonesty' || entry.classCode === 'ecommerce_dishonesty',
      );
    }
    expect(catalogueEntries.length).toBeGreaterThanOrEqual(40);
  });

  it.each(catalogueEntries.map((e) => [e.code]))(
    '%s accepts its sample and refuses an unknown key',
    (code) => {
      const entry = findEntry(code);
      if (!entry) throw new Error(code);
      const accepted = validateRecordInput(envelope(code, entry.sample), 'submission', now);
      expect(accepted.ok, JSON.stringify(accepted)).toBe(true);
      const refused = validateRecordInput(
        envelope(code, { ...entry.sample, undefinedField: 'x' }),
        'submission',
        now,
      );
      expect(refused).toEqual({
        ok: false,
        errors: [{ path: 'data.undefinedField', code: 'unknown_field', message: expect.any(String) }],
      });
    },
  );

  it('exports a strict JSON Schema for every entry, with a version and fingerprint', () => {
    const exported = exportCatalogue();
    expect(exported.version).toMatch(/^\d{4}\.\d+\.\d+$/);
    expect(exported.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(exported.entries).toHaveLength(catalogueEntries.length);
    for (const entry of exported.entries) {
      expect(entry.dataSchema).toMatchObject({ type: 'object', additionalProperties: false });
    }
    expect(exported.prohibitedFields.map((f) => f.zh)).toEqual([
      '宗教信仰',
      '基因',
      '指纹',
      '血型',
      '疾病和病史',
    ]);
  });

  it('sets the display period by severity and caps publicity for persons and minor items', () => {
    const penalty = findEntry('administrative_penalty');
    if (!penalty) throw new Error('entry');
    const at = new Date('2025-01-31T16:00:00Z');
    expect(displayUntil(penalty, at, {}, 'minor')?.toISOString()).toBe('2025-04-30T16:00:00.000Z');
    expect(displayUntil(penalty, at, {}, 'general')?.toISOString()).toBe('2026-01-31T16:00:00.000Z');
    expect(displayUntil(penalty, at, {}, 'serious')?.toISOString()).toBe('2028-01-31T16:00:00.000Z');
    expect(effectivePublicity(penalty, 'legal_person', 'general')).toBe('public');
    expect(effectivePublicity(penalty, 'natural_person', 'general')).toBe('authorised');
    expect(effectivePublicity(penalty, 'legal_person', 'minor')).toBe('government');
    expect(effectivePublicity(penalty, 'natural_person', 'minor')).toBe('government');
    const licence = findEntry('org_licence');
    if (!licence) throw new Error('entry');
    expect(displayUntil(licence, at, { validUntil: '2029-05-05' })?.toISOString()).toBe(
      '2029-05-05T15:59:59.999Z',
    );
    expect(displayUntil(licence, at, {})).toBeNull();
  });

  it('lets a case choose its severity only among the entry’s allowed values', () => {
    const failed = findEntry('failed_inspection');
    if (!failed) throw new Error('entry');
    const serious = validateRecordInput(
      envelope('failed_inspection', { ...failed.sample, severity: 'serious' }),
      'submission',
      now,
    );
    expect(serious.ok).toBe(false);
    const general = validateRecordInput(
      envelope('failed_inspection', { ...failed.sample, severity: 'general' }),
      'submission',
      now,
    );
    expect(general.ok && general.record.severity).toBe('general');
  });
});
