import { parseArgs } from 'node:util';
import { isRole, openDevIssuer, type Role } from '@credit/auth';
import { baseEnvironmentSchema, parseEnvironment } from '@credit/config';

/**
 * `npm run token -- --role R --org O [--subject ID] [--ttl SECONDS]`: prints a bearer token from
 * the development issuer under DATA_DIR, which the platform trusts when no AUTH_ISSUER is set.
 */
const env = parseEnvironment(baseEnvironmentSchema);
if (env.AUTH_ISSUER) {
  process.stderr.write(
    'AUTH_ISSUER is set: tokens come from that identity provider, not from this command.\n',
  );
  process.exit(2);
}
const { values } = parseArgs({
  options: {
    role: { type: 'string', multiple: true },
    org: { type: 'string' },
    subject: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
  },
});
const roles = values.role ?? [];
if (roles.length === 0 || !roles.every(isRole)) {
  process.stderr.write(
    'usage: npm run token -- --role provider|government|agency|platform|subject|admin [--org CODE] [--subject ID] [--ttl SECONDS]\n',
  );
  process.exit(2);
}
const ttlSeconds = Number(values.ttl);
if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
  process.stderr.write('--ttl must be a positive number of seconds\n');
  process.exit(2);
}
const issuer = await openDevIssuer(env.DATA_DIR);
const claims: { roles: Role[]; ttlSeconds: number; org?: string; subjectId?: string } = {
  roles: roles as Role[],
  ttlSeconds,
};
if (values.org) claims.org = values.org;
if (values.subject) claims.subjectId = values.subject.trim().toUpperCase();
process.stdout.write(`${await issuer.sign(claims)}\n`);
