import { Writable } from 'node:stream';

/**
 * Collects every log line a test platform writes, so tests can assert on what was (not) logged;
 * `mirror` also receives each line (the suite-wide capture that the global teardown scans).
 */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  constructor(private readonly mirror: (line: string) => void = () => {}) {
    super();
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    for (const line of chunk.toString().split('\n')) {
      if (line.length === 0) continue;
      this.lines.push(line);
      this.mirror(line);
    }
    done();
  }

  text(): string {
    return this.lines.join('\n');
  }

  entries(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
