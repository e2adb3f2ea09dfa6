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
