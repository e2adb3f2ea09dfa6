import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildSchema, printSchema } from 'graphql';
import { schema } from './schema.ts';

/** The committed SDL: what integrators read, and what the drift test holds the code to. */
export const sdlPath = resolve(import.meta.dirname, '../../../../docs/graphql/schema.graphql');

export function printedSdl(): string {
  return `${printSchema(buildSchema(schema))}\n`;
}

if (process.argv[1] === import.meta.filename) {
  await writeFile(sdlPath, printedSdl());
  process.stdout.write(`wrote ${sdlPath}\n`);
}
