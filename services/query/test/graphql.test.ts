import { company, person, push, record, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

let platform: TestPlatform;
let w: World;

beforeAll(async () => {
  platform = await queryPlatform();
  w = await world(platform, [
    'administrative_penalty',
    'person_education',
    'exam_cheating',
    'honour_award',
    'org_licence',
  ]);
  await platform.request({
    method: 'POST',
    url: '/v1/departments',
    token: w.admin,
    body: {
      code: 'zb-dev',
      name: '发改委',
      remit: ['dishonesty', 'good_credit', 'person_basic', 'org_basic'],
    },
  });
});
afterAll(async () => platform?.close());

interface AuthorisationPage {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

async function graphql(query: string, token?: string, variables: Record<string, unknown> = {}) {
  const response = await platform.request({
    method: 'POST',
    url: '/graphql',
    token,
    body: { query, variables },
  });
  expect(response.statusCode).toBe(200);
  return response.json() as {
    data: Record<string, unknown> | null;
    errors?: { message: string; extensions: { code: string } }[];
  };
}

const recordsQuery = `
  query ($id: ID!, $purpose: String, $authorisation: String, $class: String, $first: Int, $after: String) {
    subject(id: $id, purpose: $purpose, authorisation: $authorisation) {
      kind id name audience
      records(class: $class, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { recordId version category class status data severity publicity marks { withdrawn expired } } }
      }
    }
  }`;

interface SubjectWithRecords {
  records: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: { recordId: string; class: string } }[];
  };
}

describe('GraphQL', () => {
  it('returns the same records as the REST report for the same caller', async () => {
    const subject = person();
    for (const category of ['person_education', 'exam_cheating', 'honour_award'])
      await push(platform, w.provider.token, record(category, subject));
    await platform.drainConsumers();
    const government = await platform.token('government', { org: 'zb-dev' });
    const rest = (
      await platform.request({ url: `/v1/subjects/${subject.id}/report?purpose=核查`, token: government })
    ).json().report;
    const gql = await graphql(recordsQuery, government, { id: subject.id, purpose: '核查' });
    expect(gql.errors).toBeUndefined();
    const subjectNode = gql.data?.subject as {
      audience: string;
      records: { edges: { node: Record<string, unknown> }[] };
    };
    expect(subjectNode.audience).toBe('government');
    const pick = (item: Record<string, unknown>) => ({
      recordId: item.recordId,
      version: item.version,
      category: item.category,
      class: item.class,
      status: item.status,
      data: item.data,
      severity: item.severity,
      publicity: item.publicity,
    });
    expect(subjectNode.records.edges.map((e) => pick(e.node))).toEqual(rest.items.map(pick));
    expect(rest.items).toHaveLength(3);

    const own = await platform.token('subject', { subject: subject.id });
    const log = (await platform.request({ url: `/v1/subjects/${subject.id}/access-log`, token: own })).json()
      .items;
    expect(log.map((e: { channel: string }) => e.channel)).toEqual(['rest', 'graphql']);
  });

  it('pages records by cursor within a class', async () => {
    const subject = person();
    for (let i = 1; i <= 5; i++) {
      await push(
        platform,
        w.provider.token,
        record('honour_award', subject, { occurredAt: `2026-0${i}-01` }),
      );
    }
    await push(platform, w.provider.token, record('person_education', subject));
    await platform.drainConsumers();
    const own = await platform.token('subject', { subject: subject.id });
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 4; page++) {
      const result = await graphql(recordsQuery, own, {
        id: subject.id,
        class: 'good_credit',
        first: 2,
        after,
      });
      const connection = (result.data as { subject: SubjectWithRecords }).subject.records;
      expect(connection.totalCount).toBe(5);
      seen.push(...connection.edges.map((e) => e.node.recordId));
      expect(connection.edges.every((e) => e.node.class === 'good_credit')).toBe(true);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('pages a subject’s authorisations newest first, to the end, like the REST list', async () => {
    const subject = person();
    await push(platform, w.provider.token, record('person_education', subject));
    await platform.drainConsumers();
    const own = await platform.token('subject', { subject: subject.id });
    const granted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await platform.request({
        method: 'POST',
        url: '/v1/authorisations',
        token: own,
        body: {
          agency: w.agency.uscc,
          purpose: 'employment',
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        },
      });
      expect(response.statusCode, response.body).toBe(201);
      granted.push(response.json().id);
    }
    const rest = (await platform.request({ url: '/v1/authorisations?limit=500', token: own })).json();
    expect([...rest.items.map((a: { id: string }) => a.id)].sort()).toEqual([...granted].sort());
    const walked: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const answer = await graphql(
        'query ($after: String) { me { authorisations(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }',
        own,
        { after },
      );
      expect(answer.errors).toBeUndefined();
      const me = answer.data?.me as { authorisations: AuthorisationPage } | undefined;
      const connection = me?.authorisations ?? {
        edges: [],
        pageInfo: { hasNextPage: false, endCursor: null },
      };
      expect(connection.edges.length).toBeLessThanOrEqual(2);
      walked.push(...connection.edges.map((edge) => edge.node.id));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
      pages += 1;
    } while (after !== null && pages < 10);
    expect(pages).toBe(3);
    expect(walked).toEqual(rest.items.map((a: { id: string }) => a.id));
    const forged = await graphql('{ me { authorisations(after: "bm9wZQ") { edges { cursor } } } }', own);
    expect(forged.errors?.[0]?.extensions.code).toBe('bad_request');
  });

  it('pages a subject’s access log in entry order, to the end, with the REST list’s opaque cursors', async () => {
    const org = company();
    await push(platform, w.provider.token, record('org_licence', org));
    await platform.drainConsumers();
    const government = await platform.token('government', { org: 'zb-dev' });
    // Three logged reads by a department.
    for (let i = 0; i < 3; i++)
      expect(
        (await graphql(recordsQuery, government, { id: org.id, purpose: '核查' })).errors,
      ).toBeUndefined();
    const own = await platform.token('subject', { subject: org.id });
    const firstRest = (
      await platform.request({ url: `/v1/subjects/${org.id}/access-log?limit=2`, token: own })
    ).json();
    const rest = (await platform.request({ url: `/v1/subjects/${org.id}/access-log`, token: own })).json();
    expect(rest.items).toHaveLength(3);
    type LogPage = {
      edges: { cursor: string; node: { entryNo: number } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      chainValid: boolean;
    };
    const walked: number[] = [];
    const cursors: (string | null)[] = [];
    let after: string | null = null;
    do {
      const answer = await graphql(
        'query ($after: String) { me { accessLog(first: 2, after: $after) { edges { cursor node { entryNo } } pageInfo { hasNextPage endCursor } chainValid } } }',
        own,
        { after },
      );
      expect(answer.errors).toBeUndefined();
      const log = (answer.data?.me as { accessLog: LogPage } | undefined)?.accessLog;
      if (!log) throw new Error('no access log in the answer');
      expect(log.chainValid).toBe(true);
      walked.push(...log.edges.map((edge) => edge.node.entryNo));
      after = log.pageInfo.hasNextPage ? log.pageInfo.endCursor : null;
      cursors.push(after);
    } while (after !== null && cursors.length < 5);
    expect(walked).toEqual(rest.items.map((entry: { entryNo: number }) => entry.entryNo));
    // The first page's cursor is REST's `next` for the same page, not an entry number.
    expect(cursors).toEqual([firstRest.next, null]);
    expect(cursors[0]).not.toMatch(/^\d+$/);
    const forged = await graphql('{ me { accessLog(after: "2") { edges { cursor } } } }', own);
    expect(forged.errors?.[0]?.extensions.code).toBe('bad_request');
  });

  it('carries the REST codes in extensions.code', async () => {
    const subject = person();
    const codeOf = (result: Awaited<ReturnType<typeof graphql>>) => result.errors?.[0]?.extensions.code;
    expect(codeOf(await graphql(recordsQuery, undefined, { id: subject.id }))).toBe('unauthenticated');
    expect(codeOf(await graphql(recordsQuery, 'garbage.token.here', { id: subject.id }))).toBe(
      'invalid_token',
    );
    expect(codeOf(await graphql(recordsQuery, w.agency.token, { id: subject.id }))).toBe(
      'authorisation_required',
    );
    const government = await platform.token('government', { org: 'zb-dev' });
    expect(codeOf(await graphql(recordsQuery, government, { id: subject.id }))).toBe('purpose_required');
    expect(codeOf(await graphql(recordsQuery, government, { id: 'nope', purpose: 'x' }))).toBe(
      'invalid_identifier',
    );
    expect(codeOf(await graphql('{ nonsense }', government))).toBe('bad_request');
    const own = await platform.token('subject', { subject: subject.id });
    const foreign = await graphql(
      `query ($id: ID!) { subject(id: $id, purpose: "x") { authorisations { edges { node { id } } } } }`,
      government,
      { id: subject.id },
    );
    expect(
      foreign.errors?.some((e) => e.extensions.code === 'forbidden' || e.extensions.code === 'not_found'),
    ).toBe(true);
    expect(
      (
        await graphql(
          '{ me { kind authorisations { edges { node { id } } } accessLog { chainValid } } }',
          own,
        )
      ).errors,
    ).toBeUndefined();
  });

  it('reads several subjects with one records query (loader) and logs each', async () => {
    const subjects = [company(), company(), company()];
    for (const s of subjects) await push(platform, w.provider.token, record('org_licence', s));
    await platform.drainConsumers();
    const government = await platform.token('government', { org: 'zb-dev' });
    const statements: string[] = [];
    const stop = platform.database.onStatement((text) => statements.push(text));
    const result = await graphql(
      `query ($ids: [ID!]!) { subjects(ids: $ids, purpose: "批量核查") { id records { totalCount edges { node { recordId } } } } }`,
      government,
      { ids: subjects.map((s) => s.id) },
    );
    stop();
    expect(result.errors).toBeUndefined();
    const nodes = result.data?.subjects as { id: string; records: { totalCount: number } }[];
    expect(nodes.map((n) => n.records.totalCount)).toEqual([1, 1, 1]);
    const logged = await platform.database.query<{ n: string }>(
      "SELECT count(*) AS n FROM query.access_log WHERE channel = 'graphql' AND purpose = '批量核查'",
    );
    expect(Number(logged[0]?.n)).toBe(3);
    // Three subjects, one query over their records (not three).
    expect(statements.filter((text) => /from "query"\."records"/i.test(text))).toHaveLength(1);
  });
});
