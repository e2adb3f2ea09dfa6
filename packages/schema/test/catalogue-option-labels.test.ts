import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalogueEntries, optionLabel } from '../src/index.ts';

/** The closed set a field holds, through the lists and optional wrappers around it. */
function enumOf(schema: unknown): z.ZodEnum | undefined {
  if (schema instanceof z.ZodEnum) return schema;
  if (schema instanceof z.ZodArray) return enumOf(schema.element);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return enumOf(schema.unwrap());
  return undefined;
}

describe('labels of the catalogue’s coded values', () => {
  it('gives every value of every closed set a Chinese label, described, optional and listed ones included', () => {
    let values = 0;
    for (const entry of catalogueEntries)
      for (const [field, schema] of Object.entries(entry.data.shape)) {
        const set = enumOf(schema);
        if (!set) continue;
        for (const value of set.options) {
          values++;
          expect(optionLabel(entry.code, field, String(value)), `${entry.code}.${field} ${value}`).toMatch(
            /^[\u4e00-\u9fff]/,
          );
        }
      }
    expect(values).toBeGreaterThan(100);
    expect(
      optionLabel('dishonest_judgement_debtor', 'dishonestBehaviour', 'refusing_to_perform_with_ability'),
    ).toBe('有履行能力而拒不履行生效法律文书确定义务');
    expect(optionLabel('administrative_penalty', 'penaltyKinds', 'fine')).toBe('罚款');
    expect(optionLabel('org_registration', 'status', 'active')).toBe('存续');
    // Free text and unknown values have none.
    expect(optionLabel('administrative_penalty', 'facts', 'fine')).toBeUndefined();
    expect(optionLabel('org_registration', 'status', 'no_such_status')).toBeUndefined();
  });
});
