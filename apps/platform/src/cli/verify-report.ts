import type { JSONWebKeySet } from 'jose';
import { CommandError, readNamedFile, runCommand } from '../cli-support/command.ts';
import { readJsonSource } from '../cli-support/json-source.ts';

const usage = `npm run verify-report -- FILE.pdf [--jwks FILE|URL] [--platform URL] [--json]

Checks a credit report PDF offline: the signed report it carries (credit-report.json) against
the platform's published keys, and that its pages show exactly what was signed (the report is
rendered again from the signed JSON and each page's text compared).
It sends nothing about the report anywhere; with --platform or a --jwks URL it fetches only the
keys. Prints the report number, issue time, content digest and verification code, which the
platform's public verification (GET /v1/reports/{number}/verification) confirms online.
Exit status 0: authentic; 1: not authentic (altered, not signed by these keys, or pages that
show something else than the signed report); 2: cannot run.

  --jwks FILE|URL     the platform's published keys (/.well-known/jwks.json), saved or fetched
  --platform URL      the platform to fetch the keys from (default: http://HOST:PORT)
  --json              print the result as JSON
  -h, --help          print this text`;

async function keysFrom(source: string): Promise<JSONWebKeySet> {
  return (await readJsonSource(source, () => {
    throw new CommandError(`${source} is not a JSON key set`);
  })) as JSONWebKeySet;
}

await runCommand({
  name: 'verify-report',
  usage,
  positionals: true,
  options: {
    jwks: { type: 'string' },
    platform: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run(values, files) {
    const [file, ...extra] = files;
    if (!file || extra.length > 0)
      throw new CommandError('name one report PDF: npm run verify-report -- FILE.pdf');
    const { verifyReportPdf } = await import('@credit/report-document');
    const pdf = await readNamedFile(file);
    let jwksSource = values.jwks;
    if (!jwksSource) {
      const platform = values.platform ?? (await defaultPlatform());
      jwksSource = new URL('/.well-known/jwks.json', platform).href;
    }
    const jwks = await keysFrom(jwksSource);
    const result = await verifyReportPdf(new Uint8Array(pdf), jwks);
    const authentic = result.authentic && result.pagesMatch;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ file, ...result }, null, 2)}\n`);
    } else if (!result.authentic) {
      process.stdout.write(`✗ ${file}: not authentic: ${result.reason}\n`);
    } else {
      process.stdout.write(
        `${authentic ? '✓' : '✗'} ${file}: ${
          authentic
            ? 'authentic'
            : 'the attached report is signed, but the pages do not show what was signed: they were changed or belong to another report'
        }\n  report ${result.reportId}, issued ${result.generatedAt}, key ${result.keyId}\n  digest ${result.digest}\n  verification code ${result.code}\n`,
      );
    }
    return authentic ? 0 : 1;
  },
});

/** Where HOST and PORT put `npm start`, as `npm run import` finds it. */
async function defaultPlatform(): Promise<string> {
  const { baseEnvironmentSchema, localUrlOf, parseEnvironment } = await import('@credit/config');
  return localUrlOf(parseEnvironment(baseEnvironmentSchema));
}
