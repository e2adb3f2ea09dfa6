import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runScript } from './processes.ts';

export interface LoadResult {
  rps: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface LoadPlan {
  url: string;
  method: 'GET' | 'POST';
  variants: string[];
  path?: string;
  token?: string;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
}

/** Runs autocannon in its own process against one route; `workDir` holds the variants file. */
export async function loadTest(workDir: string, name: string, plan: LoadPlan): Promise<LoadResult> {
  const variants = join(workDir, `${name}.variants`);
  await writeFile(variants, `${plan.variants.join('\n')}\n`);
  const out = await runScript('bench/load-client.ts', {}, [JSON.stringify({ ...plan, variants })]);
  const result = JSON.parse(out.trim().split('\n').at(-1) as string) as LoadResult;
  if (result.non2xx > 0 || result.errors > 0)
    process.stderr.write(`warning: ${name}: ${result.non2xx} non-2xx, ${result.errors} errors\n`);
  return result;
}

export interface Timings {
  median: number;
  p99: number;
  samples: number;
}

export function percentiles(values: number[]): Timings {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), p99: at(0.99), samples: sorted.length };
}

/** Sequential requests; each one's `Server-Timing` (server time, serialisation included) is kept. */
export async function serverTimes(
  url: string,
  init: (i: number) => RequestInit,
  count: number,
): Promise<Timings & { bytes: number; body: string }> {
  const times: number[] = [];
  let body = '';
  for (let i = 0; i < count; i++) {
    const response = await fetch(url, init(i));
    body = await response.text();
    if (!response.ok) throw new Error(`${url}: ${response.status} ${body.slice(0, 500)}`);
    const match = /dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '');
    if (match) times.push(Number(match[1]));
  }
  return { ...percentiles(times), bytes: Buffer.byteLength(body), body };
}

/** The middle item by `key` (the lower middle of an even count), for "the round with the median ratio". */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) throw new Error('no items to take the median of');
  return median;
}
