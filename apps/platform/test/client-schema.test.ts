import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { clientSchemaPath, generateClientSchema } from '../src/cli/export-client.ts';

describe('the typed client', () => {
  it('matches what openapi-typescript makes of docs/openapi.json (run `npm run export:client` after the document changes)', async () => {
    const committed = await readFile(clientSchemaPath, 'utf8');
    expect(committed).toBe(await generateClientSchema());
    // The document's operations reach the client by their ids, the problem by its component.
    expect(committed).toContain('postRecordsBatch: {');
    expect(committed).toMatch(/\n {8}Problem: \{/);
  });
});
