import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>
>['values'];

/** A failure the person at the keyboard resolves: its message is the whole story. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/**
 * Failures that say what to do in their message: printed without a stack. Told apart by name so
 * that `--help` does not have to load the packages that define them.
 */
const explained = new Set([
  'CommandError',
  'ConfigurationError',
  'DataDirectoryInUseError',
  'PlatformUnreachableError',
]);

/** Ours by name, or the system's (a file that is not there: `ENOENT: …, open 'x.csv'`). */
function isExplained(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  return explained.has(error.name) || typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** The words a person needs for the file failures they can fix; the system's text otherwise. */
const fileFailures: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a folder, not a file',
  EACCES: 'not readable or writable by this user',
  EPERM: 'not permitted for this user',
};

function explanationOf(error: Error): string {
  const { code, path } = error as NodeJS.ErrnoException;
  const words = code === undefined ? undefined : fileFailures[code];
  return words !== undefined && path !== undefined ? `${path}: ${words}` : error.message;
}

/**
 * Reads a file the person named. Node leaves the path out of some failures (reading a folder
 * is `EISDIR: illegal operation on a directory, read`), so it is put back for the message.
 */
export async function readNamedFile(path: string): Promise<Buffer> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    if (typeof failure.syscall === 'string' && failure.path === undefined) failure.path = path;
    throw failure;
  }
}

export interface Command<O extends Options> {
  /** The npm script (`verify`): how messages begin and usage is shown. */
  name: string;
  /** The text `--help` prints: synopsis, what it does, every option, exit statuses. */
  usage: string;
  options: O;
  /** Whether it takes operands after its options (`verify-report FILE.pdf`); they reach `run`. */
  positionals?: boolean;
  /** Does the work; answers the exit status (0 when nothing is answered). */
  run(values: Values<O>, positionals: string[]): Promise<number | undefined>;
}

/**
 * Runs a command-line tool: `--help`/`-h` prints its usage, a mistaken option names itself
 * and points at the usage, and a failure the user can act on prints as one line with exit
 * status 2; anything else is a defect and keeps its stack. The work is imported by `run`
 * itself, so help and mistakes answer at once.
 */
export async function runCommand<O extends Options>(command: Command<O>): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${command.usage.trim()}\n`);
    return;
  }
  let values: Values<O>;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args,
      options: command.options,
      strict: true,
      allowPositionals: command.positionals ?? false,
    });
    // The option values' type does not depend on whether operands are allowed.
    values = parsed.values as Values<O>;
    positionals = parsed.positionals;
  } catch (error) {
    process.stderr.write(
      `${command.name}: ${(error as Error).message}\nsee: npm run ${command.name} -- --help\n`,
    );
    process.exitCode = 2;
    return;
  }
  try {
    process.exitCode = (await command.run(values, positionals)) ?? 0;
  } catch (error) {
    if (!isExplained(error)) throw error;
    process.stderr.write(`${command.name}: ${explanationOf(error)}\n`);
    process.exitCode = 2;
  }
}
