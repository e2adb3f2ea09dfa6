// The production build: every package's, service's and app's src/ compiled to JavaScript in its
// own dist/, which its package.json exports under the `built` condition (the image runs
// `node --conditions=built`). Type checking is `npm run typecheck`'s job; this only emits, in one
// compiler run over the whole tree (one run is much faster here than one per package).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const staging = join(root, 'dist');
const groups = ['packages', 'services', 'apps'];

const units = groups.flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, group, entry.name, 'src')))
    .map((entry) => join(group, entry.name)),
);

rmSync(staging, { recursive: true, force: true });
for (const unit of units) rmSync(join(root, unit, 'dist'), { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

let built = 0;
for (const unit of units) {
  const emitted = join(staging, unit, 'src');
  if (!existsSync(emitted)) continue;
  renameSync(emitted, join(root, unit, 'dist'));
  built += 1;
}
rmSync(staging, { recursive: true, force: true });
process.stdout.write(`built ${built} packages into their dist/ folders\n`);
