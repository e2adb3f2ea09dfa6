import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printedSdl, sdlPath } from '../src/graphql/export-sdl.ts';

describe('the committed GraphQL SDL', () => {
  it('matches the schema the code serves (run `npm run export:graphql` after changing it)', async () => {
    expect(await readFile(sdlPath, 'utf8')).toBe(printedSdl());
  });
});
