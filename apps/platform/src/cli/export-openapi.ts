import { resolve } from 'node:path';
import { runCommand } from '../cli-support/command.ts';

/** The committed OpenAPI document of the all-in-one server (a test fails when it drifts). */
export const openapiPath = resolve(import.meta.dirname, '../../../../docs/openapi.json');

export function serialiseOpenapi(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

// Builds the application on a throwaway embedded database and writes its document.
if (process.argv[1] === import.meta.filename) {
  await runCommand({
    name: 'export:openapi',
    usage: `npm run export:openapi

Writes the OpenAPI 3.1 document of the all-in-one server to docs/openapi.json, built from the
routes' schemas on a throwaway embedded database (DATA_DIR and DATABASE_URL are not touched).
A test fails when the committed document drifts from the code.
Exit status 0: written.`,
    options: {},
    async run() {
      const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const { baseEnvironmentSchema } = await import('@credit/config');
      const { buildPlatformApp, migrationFoldersOf, openRuntime } = await import('@credit/host');
      const { createLogger } = await import('@credit/http');
      const { platformServices } = await import('../services.ts');
      const dataDir = await mkdtemp(join(tmpdir(), 'credit-openapi-'));
      try {
        const env = baseEnvironmentSchema.parse({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
        const logger = createLogger('silent');
        const runtime = await openRuntime(env, migrationFoldersOf(platformServices), logger);
        const app = await buildPlatformApp(runtime, { logger, services: platformServices });
        try {
          await app.ready();
          await writeFile(openapiPath, serialiseOpenapi(app.swagger()));
        } finally {
          await app.close();
          await runtime.close();
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
      process.stdout.write(`wrote ${openapiPath}\n`);
      return 0;
    },
  });
}
