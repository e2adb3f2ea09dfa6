import { CommandError, runCommand } from '../cli-support/command.ts';

await runCommand({
  name: 'token',
  usage: `npm run token -- --role ROLE [--role ROLE…] [--org CODE] [--subject ID] [--ttl SECONDS]

Prints a bearer token from the development issuer whose key is under DATA_DIR (the same
DATA_DIR \`npm start\` uses), which the platform trusts when no AUTH_ISSUER is configured.
Nothing is sent anywhere: the server need not run.

  --role ROLE     provider, government, agency, platform, subject or admin (repeatable)
  --org CODE      the caller's organisation (a provider's or agency's registered code)
  --subject ID    the subject a subject token speaks for (identity number or USCC)
  --ttl SECONDS   lifetime (default 3600)
  -h, --help      print this text
Example: ADMIN=$(npm run --silent token -- --role admin --org credit-office)
Exit status 0: printed; 2: cannot (a bad option, or AUTH_ISSUER is set).`,
  options: {
    role: { type: 'string', multiple: true },
    org: { type: 'string' },
    subject: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
  },
  async run(values) {
    const { isRole, openDevIssuer, roles: allRoles } = await import('@credit/auth');
    const { baseEnvironmentSchema, parseEnvironment } = await import('@credit/config');
    const env = parseEnvironment(baseEnvironmentSchema);
    if (env.AUTH_ISSUER)
      throw new CommandError(
        'AUTH_ISSUER is set: tokens come from that identity provider, not from this command',
      );
    const roles = values.role ?? [];
    if (roles.length === 0) throw new CommandError(`--role is required: one of ${allRoles.join(', ')}`);
    const unknown = roles.filter((role) => !isRole(role));
    if (unknown.length > 0)
      throw new CommandError(`unknown role ${unknown.join(', ')}: one of ${allRoles.join(', ')}`);
    const ttlSeconds = Number(values.ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
      throw new CommandError('--ttl must be a positive number of seconds');
    const issuer = await openDevIssuer(env.DATA_DIR);
    const token = await issuer.sign({
      roles: roles.filter(isRole),
      ttlSeconds,
      ...(values.org ? { org: values.org } : {}),
      ...(values.subject ? { subjectId: values.subject.trim().toUpperCase() } : {}),
    });
    process.stdout.write(`${token}\n`);
    return 0;
  },
});
