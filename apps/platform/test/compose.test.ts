import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { baseEnvironmentSchema } from '@credit/config';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * No Docker engine runs where the tests run, so the compose file is held to the code instead:
 * every service folder is a compose service with health, every variable it sets is one the
 * platform's configuration knows, and the migration job runs the real migration command.
 */
const root = resolve(import.meta.dirname, '../../..');

interface ComposeService {
  environment?: Record<string, string>;
  command?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  profiles?: string[];
  build?: string;
}

describe('docker-compose.yml', async () => {
  const compose = parse(await readFile(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const serviceFolders = (await readdir(resolve(root, 'services'), { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name);

  it('runs every service after the migration job, each on the same image with SERVICE set', () => {
    for (const name of serviceFolders) {
      const service = compose.services[name];
      expect(service, name).toBeDefined();
      expect(service?.environment?.SERVICE).toBe(name);
      expect(service?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    }
    expect(compose.services.migrate?.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('sets only variables the configuration schema defines', () => {
    const known = new Set([...Object.keys(baseEnvironmentSchema.shape), 'SERVICE']);
    for (const name of [...serviceFolders, 'migrate']) {
      const unknown = Object.keys(compose.services[name]?.environment ?? {}).filter((key) => !known.has(key));
      expect(unknown, name).toEqual([]);
    }
  });

  it('points the migration job and the image at built scripts whose sources exist', async () => {
    // The build (dist/) exists only after `npm run build`: check the source each built script comes from.
    const sourceOf = (built: string) => built.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
    const command = compose.services.migrate?.command ?? [];
    const script = command.at(-1) ?? 'missing';
    expect(script).toMatch(/\/dist\/.*\.js$/);
    await expect(readFile(resolve(root, sourceOf(script)))).resolves.toBeDefined();
    const dockerfile = await readFile(resolve(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('services/$SERVICE/dist/server.js');
    for (const name of serviceFolders)
      await expect(readFile(resolve(root, 'services', name, 'src/server.ts'))).resolves.toBeDefined();
  });

  it('adds, under the ha profile, a pg_auto_failover monitor and two data nodes the services reach by DATABASE_HOSTS', async () => {
    const nodes = ['pg-monitor', 'pg-1', 'pg-2'];
    for (const name of nodes) {
      expect(compose.services[name]?.profiles, name).toEqual(['ha']);
      expect(compose.services[name]?.command?.slice(0, 2), name).toEqual(['pg_autoctl', 'create']);
      expect(compose.services[name]?.command, name).toContain('--run');
    }
    expect(compose.services['pg-monitor']?.command?.[2]).toBe('monitor');
    for (const name of ['pg-1', 'pg-2']) {
      const command = compose.services[name]?.command ?? [];
      expect(command[2]).toBe('postgres');
      expect(command[command.indexOf('--name') + 1]).toBe(name);
      expect(command[command.indexOf('--monitor') + 1]).toMatch(/@pg-monitor\//);
      expect(compose.services.migrate?.depends_on?.[name]).toEqual({
        condition: 'service_healthy',
        required: false,
      });
    }
    const dockerfile = await readFile(
      resolve(root, compose.services['pg-1']?.build ?? 'missing', 'Dockerfile'),
      'utf8',
    );
    expect(dockerfile).toMatch(/FROM postgres:15\b/);
    expect(dockerfile).toContain('postgresql-15-auto-failover');
    // One variable moves the migration job and every service from the single server to the pair.
    for (const name of [...serviceFolders, 'migrate'])
      expect(compose.services[name]?.environment?.DATABASE_URL, name).toContain(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation, literally
        '@${DATABASE_HOSTS:-postgres:5432}/',
      );
  });
});
