import { ingestDefinition } from '@credit/ingest/service';
import { queryDefinition } from '@credit/query/service';
import { sanctionsDefinition } from '@credit/sanctions/service';
import { createTestPlatform, recordOn, registerProvider, type TestPlatform } from '@credit/testing';
import { repairDefinition } from '../src/service.ts';

/** Repair is tested with the services it acts on: ingest, query and sanctions. */
export async function repairPlatform(
  options: { env?: Record<string, string>; now?: Date } = {},
): Promise<TestPlatform> {
  return createTestPlatform(
    [
      ingestDefinition,
      queryDefinition,
      { ...sanctionsDefinition, options: { dailyCheckMs: 0 } },
      { ...repairDefinition, options: { expiryEveryMs: 0, calendarWatchMs: 0, expiryPageSize: 2 } },
    ],
    options,
  );
}

export interface Actors {
  admin: string;
  provider: string;
  providerCode: string;
}

export async function actors(platform: TestPlatform, categories: string[]): Promise<Actors> {
  const { code, token } = await registerProvider(platform, categories);
  return {
    admin: await platform.token('admin', { org: 'credit-office' }),
    provider: token,
    providerCode: code,
  };
}

/** The date the repair tests' clocks and deadlines are worked out from. */
export const record = recordOn('2026-01-10');
