import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
/** The layers below HTTP: they serve the routes and the workers, and never reach back up into routes/. */
const belowHttp = ['domain', 'intake-threads', 'repositories', 'consumers', 'workers'];
const importSpecifier = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g;

function sourceFiles(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(directory, file));
}

describe('layers', () => {
  it('no domain, repository, consumer or worker file imports from routes/', () => {
    const services = readdirSync(join(root, 'services'));
    const files = services.flatMap((service) =>
      belowHttp.flatMap((layer) => sourceFiles(join(root, 'services', service, 'src', layer))),
    );
    expect(files.length).toBeGreaterThan(20);
    const upward = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(importSpecifier)]
        .map((match) => match[1] ?? '')
        .filter((specifier) => /(^|\/)routes\//.test(specifier))
        .map((specifier) => `${file.slice(root.length + 1)} imports ${specifier}`),
    );
    expect(upward).toEqual([]);
  });
});
