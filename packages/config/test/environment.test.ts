import { describe, expect, it } from 'vitest';
import { baseEnvironmentSchema, ConfigurationError, parseEnvironment } from '../src/index.ts';

describe('OUTBOUND_ALLOWED_HOSTS', () => {
  it('is empty by default and parsed into hosts', () => {
    expect(parseEnvironment(baseEnvironmentSchema, {}).OUTBOUND_ALLOWED_HOSTS).toEqual([]);
    expect(
      parseEnvironment(baseEnvironmentSchema, { OUTBOUND_ALLOWED_HOSTS: 'hooks.internal:8080' })
        .OUTBOUND_ALLOWED_HOSTS,
    ).toEqual([{ host: 'hooks.internal', port: 8080 }]);
  });

  it('stops the boot with the variable and the entry named', () => {
    expect(() => parseEnvironment(baseEnvironmentSchema, { OUTBOUND_ALLOWED_HOSTS: 'https://x/' })).toThrow(
      ConfigurationError,
    );
    expect(() => parseEnvironment(baseEnvironmentSchema, { OUTBOUND_ALLOWED_HOSTS: 'https://x/' })).toThrow(
      /OUTBOUND_ALLOWED_HOSTS: "https:\/\/x\/" is not a host/,
    );
  });
});

describe('DATABASE_URL', () => {
  it('takes one server or the servers of an HA group, and refuses a group with a bad member at boot', () => {
    for (const url of [
      'postgres://u@db:5432/credit',
      'postgres://u:p@db1:5432,db2:5433/credit?sslmode=require',
    ])
      expect(parseEnvironment(baseEnvironmentSchema, { DATABASE_URL: url }).DATABASE_URL).toBe(url);
    for (const url of ['postgres://u@a:1,b:notaport/db', 'postgres://u@a:1,/db', 'http://db/credit'])
      expect(() => parseEnvironment(baseEnvironmentSchema, { DATABASE_URL: url }), url).toThrow(
        ConfigurationError,
      );
  });
});
