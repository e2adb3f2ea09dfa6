import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { distinctivePayloadValue, stringLeaves } from './log-scan.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where every test worker appends its log lines and the values it sent (global setup). */
    logCapture: string;
  }
}

/**
 * One pair of files per worker process in the run's capture directory: `<pid>.log` (every log
 * line) and `<pid>.sent` (names and payload values the tests pushed). Writes are synchronous, so
 * nothing is lost when a worker exits; the global teardown scans them (log-scan.ts).
 */
const files: { log?: number; sent?: number } = {};

function fileOf(kind: 'log' | 'sent'): number | undefined {
  if (files[kind] === undefined) {
    let directory: string | undefined;
    try {
      directory = inject('logCapture');
    } catch {
      return undefined; // not under vitest: nothing to capture into
    }
    if (!directory) return undefined;
    files[kind] = openSync(join(directory, `${process.pid}.${kind}`), 'a', 0o600);
  }
  return files[kind];
}

export function captureLogLine(line: string): void {
  const fd = fileOf('log');
  if (fd !== undefined) writeSync(fd, `${line}\n`);
}

/** Log lines a child process (a server a test started) wrote among its output: its JSON lines. */
export function captureChildLogs(output: string): void {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      if (typeof (JSON.parse(line) as { level?: unknown }).level === 'number') captureLogLine(line);
    } catch {
      // not a log line
    }
  }
}

const recorded = new Set<string>();

function recordSent(kind: 'name' | 'payload', value: string): void {
  const key = `${kind}\u0000${value}`;
  if (recorded.has(key)) return;
  recorded.add(key);
  const fd = fileOf('sent');
  if (fd !== undefined) writeSync(fd, `${JSON.stringify({ kind, value })}\n`);
}

interface SentRecord {
  subject?: { name?: unknown };
  relatedPersons?: { name?: unknown }[];
  data?: unknown;
}

/** Remembers the names and payload values of records a test pushes, for the log scan. */
export function recordSentRecords(body: unknown): void {
  const records = (Array.isArray(body) ? body : [body]) as (SentRecord | null)[];
  for (const record of records) {
    if (record === null || typeof record !== 'object') continue;
    const names = [record.subject?.name, ...(record.relatedPersons ?? []).map((p) => p?.name)];
    for (const name of names) if (typeof name === 'string' && name.trim()) recordSent('name', name.trim());
    for (const value of stringLeaves(record.data))
      if (distinctivePayloadValue(value)) recordSent('payload', value);
  }
}
