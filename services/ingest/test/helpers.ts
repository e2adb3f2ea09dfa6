import { findEntry } from '@credit/schema';
import { citizenId, createTestPlatform, sourceId, type TestPlatform, uscc } from '@credit/testing';
import { ingestDefinition } from '../src/service.ts';

export async function ingestPlatform(): Promise<TestPlatform> {
  return createTestPlatform([ingestDefinition]);
}

/** Registers a provider for the given categories and returns a provider token for it. */
export async function registerProvider(
  platform: TestPlatform,
  categories: string[],
  code = `dept-${Math.random().toString(36).slice(2, 9)}`,
): Promise<{ code: string; token: string }> {
  const admin = await platform.token('admin', { org: 'credit-office' });
  const response = await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: admin,
    body: { code, name: `部门 ${code}`, categories },
  });
  if (response.statusCode !== 201) throw new Error(`provider registration failed: ${response.body}`);
  return { code, token: await platform.token('provider', { org: code }) };
}

/** A valid submission of a catalogue entry, built from the entry's own sample. */
export function recordBody(
  category: string,
  overrides: {
    subject?: { kind: string; id: string; name: string };
    data?: Record<string, unknown>;
    [key: string]: unknown;
  } = {},
) {
  const entry = findEntry(category);
  if (!entry) throw new Error(`no entry ${category}`);
  const kind = entry.subjectKinds[0] as string;
  const subject =
    kind === 'natural_person'
      ? { kind, id: citizenId(), name: '李华' }
      : { kind, id: uscc(kind === 'non_enterprise_legal_person' ? '12' : '91'), name: '淄博某陶瓷有限公司' };
  return {
    sourceId: sourceId(category.slice(0, 6).toUpperCase()),
    category,
    subject,
    occurredAt: '2025-10-20',
    data: { ...entry.sample },
    ...overrides,
  };
}

/** Pushes records in one batch, as a JSON array or as NDJSON. */
export function pushBatch(
  platform: TestPlatform,
  token: string,
  items: readonly unknown[],
  format: 'json' | 'ndjson' = 'json',
) {
  return platform.request({
    method: 'POST',
    url: '/v1/records/batch',
    token,
    rawBody: format === 'json' ? JSON.stringify(items) : items.map((item) => JSON.stringify(item)).join('\n'),
    contentType: format === 'json' ? 'application/json' : 'application/x-ndjson',
  });
}
