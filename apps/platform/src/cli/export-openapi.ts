import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { baseEnvironmentSchema } from '@credit/config';
import { buildPlatformApp, migrationFoldersOf, openRuntime } from '@credit/host';
import { createLogger } from '@credit/http';
import { platformServices } from '../services.ts';

/** The committed OpenAPI document of the all-in-one server (a test fails when it drifts). */
export const openapiPath = resolve(import.meta.dirname, '../../../../docs/openapi.json');

export function serialiseOpenapi(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

// Builds the application on a throwaway embedded database and writes its document.
if (process.argv[1] === import.meta.filename) {
  const dataDir = await mkdtemp(join(tmpdir(), 'credit-openapi-'));
  const env = baseEnvironmentSchema.parse({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const logger = createLogger('silent');
  const runtime = await openRuntime(env, migrationFoldersOf(platformServices), logger);
  const app = await buildPlatformApp(runtime, { logger, services: platformServices });
  await app.ready();
  await writeFile(openapiPath, serialiseOpenapi(app.swagger()));
  await app.close();
  await runtime.close();
  await rm(dataDir, { recursive: true, force: true });
  process.stdout.write(`wrote ${openapiPath}\n`);
}
