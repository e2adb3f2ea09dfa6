import { readFile } from 'node:fs/promises';
import { CommandError } from './command.ts';
import { callPlatform, describeAnswer, unreachable } from './platform-client.ts';

/**
 * The JSON a CLI option names: fetched when it is an http(s) URL (a platform's published keys or
 * checkpoint), read when it is a file. `onFileText` decides what a file's text that is not one
 * JSON document means (JSON Lines for saved checkpoints, a refusal for a key set).
 */
export async function readJsonSource(
  source: string,
  onFileText: (text: string, error: SyntaxError) => unknown,
): Promise<unknown> {
  if (/^https?:\/\//.test(source)) {
    const outcome = await callPlatform(source);
    if ('failure' in outcome)
      throw unreachable(source, outcome.failure, 'Check --platform or --jwks, and that the platform runs.');
    if (!outcome.response.ok)
      throw new CommandError(`${source} answered ${await describeAnswer(outcome.response)}`);
    return outcome.response.json();
  }
  const text = await readFile(source, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return onFileText(text, error);
    throw error;
  }
}
