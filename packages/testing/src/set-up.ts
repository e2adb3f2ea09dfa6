import { findEntry, type RecordReceipt } from '@credit/schema';
import { citizenId, sourceId, uscc } from './fixtures.ts';
import type { TestPlatform } from './test-platform.ts';

/**
 * The set-up every test that goes through the API repeats: registering who acts, building valid
 * records from the catalogue's samples and pushing them. Each helper fails where a step is
 * refused, so a broken set-up fails at its cause and not three calls later.
 */

export interface TestSubject {
  kind: string;
  id: string;
  name: string;
}

/** A company with a fresh valid USCC. */
export function company(name = '淄博华润陶瓷有限公司'): TestSubject {
  return { kind: 'legal_person', id: uscc(), name };
}

/** A natural person with a fresh valid citizen identity number. */
export function person(name = '周杰'): TestSubject {
  return { kind: 'natural_person', id: citizenId(), name };
}

type RecordOverrides = { data?: Record<string, unknown>; occurredAt?: string; [key: string]: unknown };

/** A valid submission of a catalogue entry about `subject`, its data the entry's own sample. */
export function record(category: string, subject: TestSubject, overrides: RecordOverrides = {}) {
  const entry = findEntry(category);
  if (!entry) throw new Error(`no catalogue entry ${category}`);
  return {
    sourceId: sourceId(category.slice(0, 5).toUpperCase()),
    category,
    subject,
    occurredAt: '2026-06-01',
    data: { ...entry.sample },
    ...overrides,
  };
}

/**
 * `record` with another default date: a test file whose clock and deadlines are set around one
 * date builds its records on it.
 */
export function recordOn(occurredAt: string) {
  return (category: string, subject: TestSubject, overrides: RecordOverrides = {}) =>
    record(category, subject, { occurredAt, ...overrides });
}

/** A valid submission of a catalogue entry about a fresh subject of the entry's first kind. */
export function recordBody(category: string, overrides: { subject?: TestSubject } & RecordOverrides = {}) {
  const entry = findEntry(category);
  if (!entry) throw new Error(`no catalogue entry ${category}`);
  const kind = entry.subjectKinds[0] as string;
  const subject =
    kind === 'natural_person'
      ? { kind, id: citizenId(), name: '李华' }
      : { kind, id: uscc(kind === 'non_enterprise_legal_person' ? '12' : '91'), name: '淄博某陶瓷有限公司' };
  return record(category, subject, { occurredAt: '2025-10-20', ...overrides });
}

/** Pushes one record and answers its receipt; a refusal throws with the problem. */
export async function push(platform: TestPlatform, token: string, body: unknown): Promise<RecordReceipt> {
  const response = await platform.request({ method: 'POST', url: '/v1/records', token, body });
  if (response.statusCode >= 300)
    throw new Error(`pushing a record: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** Pushes records in one batch, as a JSON array or as NDJSON; answers the response as it is. */
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

async function adminToken(platform: TestPlatform): Promise<string> {
  return platform.token('admin', { org: 'credit-office' });
}

/** Registers a providing department for the categories and answers a provider token for it. */
export async function registerProvider(
  platform: TestPlatform,
  categories: string[],
  code = `dept-${Math.random().toString(36).slice(2, 9)}`,
  name = `部门 ${code}`,
): Promise<{ code: string; token: string }> {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: await adminToken(platform),
    body: { code, name, categories },
  });
  if (response.statusCode !== 201) throw new Error(`registering a provider: ${response.body}`);
  return { code, token: await platform.token('provider', { org: code }) };
}

/**
 * Registers a department supervising intermediary industries (seeds/003), which may also push
 * `categories`, and answers a provider token for it.
 */
export async function registerSupervisor(
  platform: TestPlatform,
  industries: string[],
  categories: string[] = ['org_other_basic'],
  code = `sup-${Math.random().toString(36).slice(2, 9)}`,
): Promise<{ code: string; token: string }> {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: await adminToken(platform),
    body: { code, name: `主管部门 ${code}`, categories, industries },
  });
  if (response.statusCode !== 201) throw new Error(`registering a supervisor: ${response.body}`);
  return { code, token: await platform.token('provider', { org: code }) };
}

/**
 * Registers a fresh intermediary of `industry` by its supervising department (`token`) and
 * answers its USCC, name and a `subject` token speaking for it.
 */
export async function registerIntermediary(
  platform: TestPlatform,
  token: string,
  industry: string,
  name = '淄博某会计师事务所有限公司',
): Promise<{ uscc: string; name: string; token: string }> {
  const id = uscc();
  const response = await platform.request({
    method: 'POST',
    url: '/v1/intermediaries',
    token,
    body: { subject: { id, name }, industry },
  });
  if (response.statusCode !== 201) throw new Error(`registering an intermediary: ${response.body}`);
  return { uscc: id, name, token: await platform.token('subject', { subject: id }) };
}

/** Registers a licensed credit agency and answers its USCC and an agency token. */
export async function registerAgency(platform: TestPlatform): Promise<{ uscc: string; token: string }> {
  const agencyUscc = uscc();
  const response = await platform.request({
    method: 'POST',
    url: '/v1/agencies',
    token: await adminToken(platform),
    body: {
      uscc: agencyUscc,
      name: '某信用服务有限公司',
      licenceNumber: 'XY-2025-001',
      licenceValidUntil: '2030-12-31',
    },
  });
  if (response.statusCode >= 300) throw new Error(`registering an agency: ${response.body}`);
  return { uscc: agencyUscc, token: await platform.token('agency', { org: agencyUscc }) };
}

/** Registers a government department with its remit and answers a government token for it. */
export async function registerDepartment(
  platform: TestPlatform,
  code: string,
  remit: string[],
  name = code,
): Promise<string> {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/departments',
    token: await adminToken(platform),
    body: { code, name, remit },
  });
  if (response.statusCode >= 300) throw new Error(`registering a department: ${response.body}`);
  return platform.token('government', { org: code });
}

/** Defines a list rule as the credit office and answers the rule as created. */
export async function defineRule(platform: TestPlatform, admin: string, definition: Record<string, unknown>) {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/rules',
    token: admin,
    body: { definition },
  });
  if (response.statusCode !== 201) throw new Error(`defining a rule: ${response.body}`);
  return response.json();
}

/** The court's black-list rule for dishonest judgement debtors (失信被执行人), identified by zb-court. */
export function debtorRule(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    code: 'debtors',
    name: '失信被执行人',
    kind: 'black',
    domain: 'courts',
    subjectKinds: ['legal_person'],
    identifyingDepartment: 'zb-court',
    condition: { type: 'records', match: { entries: ['dishonest_judgement_debtor'] }, minCount: 1 },
    objectionWindowWorkingDays: 5,
    ...overrides,
  };
}
