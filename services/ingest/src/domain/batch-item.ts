import { jsonHazard } from '@credit/schema';
import secureJson from 'secure-json-parse';

/** One item of a batch as it was read: its position and its text, not yet parsed. */
export interface RawBatchItem {
  index: number;
  text: string;
}

/** One item of a batch: its parsed value, or why its text is not JSON. */
export type BatchItem = { index: number; value: unknown } | { index: number; error: string };

/** Parses one item's text; parsing happens where the item is processed, which may be another thread. */
export function parseItem({ index, text }: RawBatchItem): BatchItem {
  let value: unknown;
  try {
    // Refuses __proto__ and constructor.prototype keys (prototype poisoning), like Fastify's own parser.
    value = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    return { index, error: 'the item is not valid JSON' };
  }
  // Like every other body: what would exhaust the stack of the checks, or cannot be stored, is refused unread.
  const hazard = jsonHazard(value);
  if (hazard) return { index, error: `the item is not acceptable: ${hazard}` };
  return { index, value };
}
