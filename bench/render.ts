/**
 * `npm run bench:render`: renders bench/RESULTS.md again from the figures the last run saved in
 * bench/RESULTS.json (notes kept), e.g. after a change to how figures are judged or shown.
 */
import { readFile } from 'node:fs/promises';
import { type ResultsInput, writeResultsFile } from './results.ts';

const path = process.env.BENCH_RESULTS ?? 'bench/RESULTS.md';
const input = JSON.parse(await readFile(path.replace(/\.md$/, '.json'), 'utf8')) as ResultsInput;
await writeResultsFile(path, input);
process.stdout.write(`rendered ${path} from its figures of ${input.runAt}\n`);
