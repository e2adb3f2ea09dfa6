import { createKeyring, generateKeyMaterial } from '@credit/crypto';
import { ProblemError } from '@credit/errors';
import { requireSubject } from '@credit/http';
import { resolveSubjectIdentifier } from '@credit/schema';
import { citizenId, uscc } from '@credit/testing';
import { describe, expect, it } from 'vitest';

/** requireSubject keeps recently resolved identifiers: it must answer exactly as resolving afresh does. */
describe('requireSubject', () => {
  const keyring = createKeyring(generateKeyMaterial());

  it('answers a repeated identifier as a fresh resolution would, under each keyring', () => {
    const other = createKeyring(generateKeyMaterial());
    for (const id of [citizenId(), uscc(), uscc('12')]) {
      const fresh = resolveSubjectIdentifier(keyring.blindIndex, id);
      expect(requireSubject(keyring, id)).toEqual(fresh);
      expect(requireSubject(keyring, id)).toEqual(fresh);
      // Another keyring (another deployment's keys) never sees this one's answers.
      expect(requireSubject(other, id).key.equals(fresh?.key as Buffer)).toBe(false);
      expect(requireSubject(other, id)).toEqual(resolveSubjectIdentifier(other.blindIndex, id));
    }
    const lower = uscc().toLowerCase();
    expect(requireSubject(keyring, lower).identifier).toBe(lower.toUpperCase());
  });

  it('refuses an invalid identifier every time, also after valid ones', () => {
    const valid = citizenId();
    requireSubject(keyring, valid);
    for (const invalid of ['123', valid.slice(0, 17), `${valid}0`, 'not an identifier']) {
      for (let i = 0; i < 2; i++) {
        expect(() => requireSubject(keyring, invalid, 'subject.id')).toThrow(ProblemError);
      }
    }
  });

  it('keeps a bounded number, dropping the oldest first', () => {
    const first = uscc();
    const kept = requireSubject(keyring, first);
    expect(requireSubject(keyring, first)).toBe(kept);
    for (let i = 0; i < 20_000; i++) requireSubject(keyring, uscc());
    const again = requireSubject(keyring, first);
    expect(again).not.toBe(kept);
    expect(again).toEqual(kept);
  });
});
