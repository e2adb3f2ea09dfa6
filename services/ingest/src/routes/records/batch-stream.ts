import { StringDecoder } from 'node:string_decoder';
import { ProblemError } from '@credit/errors';
import type { RawBatchItem } from '../../domain/batch-item.ts';

async function* decoded(stream: AsyncIterable<Buffer | string>, limitBytes: number): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buffer.length;
    if (bytes > limitBytes)
      throw new ProblemError('payload_too_large', `a batch body is limited to ${limitBytes} bytes`);
    yield decoder.write(buffer);
  }
  yield decoder.end();
}

/** NDJSON: one JSON value per line; blank lines are ignored; a bad line refuses that item only. */
export async function* ndjsonItems(
  stream: AsyncIterable<Buffer | string>,
  limitBytes: number,
): AsyncGenerator<RawBatchItem> {
  let pending = '';
  let index = 0;
  for await (const text of decoded(stream, limitBytes)) {
    pending += text;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line.length > 0) yield { index: index++, text: line };
      newline = pending.indexOf('\n');
    }
  }
  const last = pending.trim();
  if (last.length > 0) yield { index, text: last };
}

/**
 * A top-level JSON array, split into its elements as bytes arrive: only one element is held
 * in memory at a time. A structural error (not an array, unbalanced brackets) ends the stream
 * with a `malformed_json` refusal, since nothing after it can be located reliably.
 */
export async function* jsonArrayItems(
  stream: AsyncIterable<Buffer | string>,
  limitBytes: number,
): AsyncGenerator<RawBatchItem> {
  type State = 'before' | 'between' | 'element' | 'after';
  let state = 'before' as State;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element: string[] = [];
  let index = 0;
  const malformed = (detail: string) => new ProblemError('malformed_json', detail);

  for await (const text of decoded(stream, limitBytes)) {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charAt(i);
      if (state === 'before') {
        if (c === '[') {
          state = 'between';
          start = i + 1;
        } else if (!/\s/.test(c)) throw malformed('a JSON batch must be an array of records');
        continue;
      }
      if (state === 'after') {
        if (!/\s/.test(c)) throw malformed('unexpected content after the closing bracket');
        continue;
      }
      if (state === 'between') {
        if (/\s/.test(c)) continue;
        if (c === ']' && index === 0 && element.length === 0) {
          state = 'after';
          continue;
        }
        state = 'element';
        start = i;
        depth = 0;
      }
      // state === 'element'
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0 && c === ']') {
          element.push(text.slice(start, i));
          yield { index: index++, text: element.join('') };
          element = [];
          state = 'after';
          continue;
        }
        depth--;
        if (depth < 0) throw malformed(`unbalanced brackets in item ${index}`);
      } else if (c === ',' && depth === 0) {
        element.push(text.slice(start, i));
        yield { index: index++, text: element.join('') };
        element = [];
        state = 'between';
        start = i + 1;
      }
    }
    if (state === 'element') element.push(text.slice(start));
  }
  const finalState: State = state;
  if (finalState !== 'after')
    throw malformed(finalState === 'before' ? 'the body is empty' : 'the array is not closed');
}
