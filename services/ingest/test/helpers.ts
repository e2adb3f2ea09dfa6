import { createTestPlatform, type TestPlatform } from '@credit/testing';
import { ingestDefinition } from '../src/service.ts';

export async function ingestPlatform(): Promise<TestPlatform> {
  return createTestPlatform([ingestDefinition]);
}
