import { describe, expect, it } from 'vitest';
import { retryDelay, signDelivery, verifyDeliverySignature } from '../src/index.ts';

describe('signed deliveries', () => {
  const secret = 'a-receiver-secret-of-enough-length-000';
  const body = '{"batchId":"xbt_1","items":[]}';

  it('verifies its own signature and nothing else', () => {
    const header = signDelivery(secret, 1_780_000_000, body);
    expect(header).toMatch(/^t=1780000000,v1=[0-9a-f]{64}$/);
    expect(verifyDeliverySignature(secret, header, body)).toBe(true);
    expect(verifyDeliverySignature(secret, header, body.replace('[]', '[1]'))).toBe(false);
    expect(verifyDeliverySignature(`${secret}x`, header, body)).toBe(false);
    expect(verifyDeliverySignature(secret, header.replace('t=1780000000', 't=1780000001'), body)).toBe(false);
    expect(verifyDeliverySignature(secret, 'v1=00', body)).toBe(false);
  });

  it('doubles the delay after each failed attempt, with at most 20 % jitter, up to an hour', () => {
    for (const [attempt, base] of [
      [1, 1000],
      [2, 2000],
      [5, 16_000],
      [40, 3_600_000],
    ] as const) {
      const delay = retryDelay(attempt, 1000);
      expect(delay).toBeGreaterThanOrEqual(base);
      expect(delay).toBeLessThanOrEqual(base * 1.2);
    }
  });
});
