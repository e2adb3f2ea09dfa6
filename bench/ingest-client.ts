/**
 * The ingest client, in its own process: posts NDJSON batches from a file (one batch per line
 * group, separated by blank lines) with a few concurrent connections and reports records/s.
 * Plan as JSON in argv[2]: { url, token, file, clients }.
 */
import { readFileSync } from 'node:fs';

interface Plan {
  url: string;
  token: string;
  file: string;
  clients: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const batches = readFileSync(plan.file, 'utf8').split('\n\n').filter(Boolean);
let next = 0;
let created = 0;
let refused = 0;
const started = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: plan.clients }, async () => {
    while (next < batches.length) {
      const body = batches[next++] as string;
      const response = await fetch(`${plan.url}/v1/records/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${plan.token}`, 'content-type': 'application/x-ndjson' },
        body,
      });
      const result = (await response.json()) as { created?: number; refused?: number };
      if (!response.ok) throw new Error(`batch answered ${response.status}: ${JSON.stringify(result)}`);
      created += result.created ?? 0;
      refused += result.refused ?? 0;
    }
  }),
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`${JSON.stringify({ created, refused, seconds })}\n`);
