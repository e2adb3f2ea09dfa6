import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkCitizenId, checkUscc, maskCitizenIdMinimal, syntheticNamePattern } from '@credit/schema';

/**
 * The suite-wide log scan: every log line any test platform (or a server a test started) wrote
 * during the run, searched for what must never be logged — identity numbers and USCCs (any that
 * pass their check character), names the tests and the demo use, and record payload values the
 * tests pushed.
 */

export type LeakKind = 'citizen_id' | 'uscc' | 'name' | 'payload';

export interface Leak {
  kind: LeakKind;
  /** Shown masked: the report of a leak must not leak it again. */
  value: string;
  where: string;
}

/** Values the tests sent as names and payloads, collected by the test platform as it sends them. */
export interface SentValues {
  names: readonly string[];
  payloads: readonly string[];
}

const identifierCandidate = /(?<![0-9A-Za-z])[0-9A-Z]{17}[0-9A-Z](?![0-9A-Za-z])/g;
const cjkRun = /[\u3400-\u9fff\uf900-\ufaff]+/gu;

function masked(value: string): string {
  if (value.length === 18) return maskCitizenIdMinimal(value);
  const characters = [...value];
  return characters.length <= 2
    ? `${characters[0] ?? ''}*`
    : `${characters[0]}${'*'.repeat(characters.length - 2)}${characters.at(-1)}`;
}

/** Checksum-valid citizen identity numbers and USCCs in a text. */
export function findIdentifiers(text: string): { kind: 'citizen_id' | 'uscc'; value: string }[] {
  const found: { kind: 'citizen_id' | 'uscc'; value: string }[] = [];
  for (const [candidate] of text.matchAll(identifierCandidate)) {
    if (/^\d{17}[\dX]$/.test(candidate) && checkCitizenId(candidate).ok)
      found.push({ kind: 'citizen_id', value: candidate });
    else if (checkUscc(candidate).ok) found.push({ kind: 'uscc', value: candidate });
  }
  return found;
}

/**
 * A payload value worth looking for: long and particular enough that finding it in a log means
 * it was logged, not that a date, a number or a code word happens to recur.
 */
export function distinctivePayloadValue(value: string): boolean {
  if (/[\u3400-\u9fff]/u.test(value)) return [...value].length >= 4;
  if (value.length < 10) return false;
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) return false;
  return !/^[a-z0-9_.:-]+$/.test(value);
}

/** Every string leaf of a JSON value. */
export function stringLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) stringLeaves(item, out);
  else if (value !== null && typeof value === 'object')
    for (const item of Object.values(value)) stringLeaves(item, out);
  return out;
}

export class LogScanner {
  private readonly names: string[];
  private readonly payloads: { cjk: string[]; other: string[] };

  constructor(sent: SentValues = { names: [], payloads: [] }) {
    this.names = [...new Set(sent.names.filter((n) => n.length > 0))];
    // As it appears inside a JSON log line.
    const escaped = [...new Set(sent.payloads)].map((v) => JSON.stringify(v).slice(1, -1));
    this.payloads = {
      cjk: escaped.filter((v) => /[\u3400-\u9fff]/u.test(v)),
      other: escaped.filter((v) => !/[\u3400-\u9fff]/u.test(v)),
    };
  }

  scanLine(line: string, where = ''): Leak[] {
    const leaks: Leak[] = findIdentifiers(line).map(({ kind, value }) => ({
      kind,
      value: masked(value),
      where,
    }));
    for (const value of this.payloads.other)
      if (line.includes(value)) leaks.push({ kind: 'payload', value: masked(value), where });
    // Names and most payload values are Chinese; a log line is almost never, so most lines stop here.
    const runs = line.match(cjkRun);
    if (!runs) return leaks;
    for (const run of runs) {
      const generated = syntheticNamePattern.exec(run);
      if (generated) leaks.push({ kind: 'name', value: masked(generated[0]), where });
      for (const name of this.names)
        if (run.includes(name) && name !== generated?.[0])
          leaks.push({ kind: 'name', value: masked(name), where });
    }
    for (const value of this.payloads.cjk)
      if (line.includes(value)) leaks.push({ kind: 'payload', value: masked(value), where });
    return leaks;
  }
}

/**
 * Scans a capture directory: `*.log` files of log lines, `*.sent` files of what the tests sent
 * (one JSON `{kind, value}` per line).
 */
export async function scanCaptureDirectory(directory: string): Promise<{ lines: number; leaks: Leak[] }> {
  const files = await readdir(directory);
  const sent = { names: [] as string[], payloads: [] as string[] };
  for (const file of files.filter((f) => f.endsWith('.sent'))) {
    for (const line of (await readFile(join(directory, file), 'utf8')).split('\n')) {
      if (!line) continue;
      const { kind, value } = JSON.parse(line) as { kind: 'name' | 'payload'; value: string };
      (kind === 'name' ? sent.names : sent.payloads).push(value);
    }
  }
  const scanner = new LogScanner(sent);
  let lines = 0;
  const leaks: Leak[] = [];
  for (const file of files.filter((f) => f.endsWith('.log'))) {
    const text = await readFile(join(directory, file), 'utf8');
    for (const [index, line] of text.split('\n').entries()) {
      if (!line) continue;
      lines++;
      leaks.push(...scanner.scanLine(line, `${file}:${index + 1}`));
    }
  }
  return { lines, leaks };
}
