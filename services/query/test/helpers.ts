import { ingestDefinition } from '@credit/ingest/service';
import { createTestPlatform, registerAgency, registerProvider, type TestPlatform } from '@credit/testing';
import { queryDefinition } from '../src/service.ts';

export async function queryPlatform(
  options: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<TestPlatform> {
  return createTestPlatform([ingestDefinition, { ...queryDefinition, options }], { env });
}

export interface World {
  admin: string;
  provider: { code: string; token: string };
  agency: { uscc: string; token: string };
}

/** A provider for the given catalogue entries, a licensed agency, and the credit office. */
export async function world(platform: TestPlatform, categories: string[]): Promise<World> {
  return {
    admin: await platform.token('admin', { org: 'credit-office' }),
    provider: await registerProvider(platform, categories),
    agency: await registerAgency(platform),
  };
}
