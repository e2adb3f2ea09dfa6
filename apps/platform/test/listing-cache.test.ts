import { inTransaction } from '@credit/db';
import { appendEvents, defineOutbox } from '@credit/events';
import { buildPlatformApp } from '@credit/host';
import { createLogger } from '@credit/http';
import { type ListingCache, listingCacheName } from '@credit/sanctions';
import { findEntry } from '@credit/schema';
import {
  createTestPlatform,
  debtorRule,
  defineRule,
  registerProvider,
  sourceId,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * The sanctions service's in-memory listing cache (what listing status and checks read) against
 * the database it follows: after decisions, exits, repairs arriving on the repair feed and a
 * measure change, after a restart, and with changes landing while requests are served, the
 * cache holds exactly the published entries the database holds, for every subject.
 */
let platform: TestPlatform;
let admin: string;
let provider: string;
let court: string;
let shop: string;
const companies: { kind: string; id: string; name: string; sourceId: string }[] = [];
const repairOutbox = defineOutbox('repair');

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token: string, body?: unknown) {
  const response = await platform.request({ method, url, token, body });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json();
}

/** The cache of the sanctions service inside an all-in-one app (its decorator is encapsulated). */
function cacheOf(app: FastifyInstance): ListingCache {
  const cache = app.consumers.get(listingCacheName);
  if (!cache) throw new Error('no listing cache in this app');
  return cache as ListingCache;
}

/** Every subject the database knows, the cache's published entries beside the database's. */
async function compare(app: FastifyInstance): Promise<number> {
  const rows = await platform.database.query<{ subject_key: Buffer; entries: string[] | null }>(`
    SELECT s.subject_key, array_agg(e.entry_id || ':' || e.valid_until::text || ':' || array_to_string(e.measures, ',')
                                    ORDER BY e.entry_id) FILTER (WHERE e.entry_id IS NOT NULL) AS entries
    FROM (SELECT subject_key FROM sanctions.subjects UNION SELECT subject_key FROM sanctions.list_entries) s
    LEFT JOIN sanctions.list_entries e ON e.subject_key = s.subject_key AND e.status = 'published'
    GROUP BY s.subject_key`);
  const validUntil = await platform.database.query<{ entry_id: string; valid_until: string }>(
    `SELECT entry_id, valid_until::text FROM sanctions.list_entries WHERE status = 'published'`,
  );
  const asText = new Map(validUntil.map((r) => [r.entry_id, r.valid_until]));
  for (const row of rows) {
    const key = Buffer.from(row.subject_key);
    const cached = cacheOf(app)
      .entriesOf(key)
      .map((e) => `${e.entryId}:${asText.get(e.entryId)}:${e.measures.join(',')}`)
      .sort();
    expect(cached, key.toString('hex')).toEqual(row.entries ?? []);
  }
  const measures = await platform.database.query<{ code: string; actions: string[] }>(
    'SELECT code, actions FROM sanctions.measures ORDER BY code',
  );
  expect(
    cacheOf(app)
      .measures()
      .map((m) => ({ code: m.code, actions: m.actions }))
      .sort((a, b) => (a.code < b.code ? -1 : 1)),
  ).toEqual(measures);
  return rows.length;
}

async function blackStatus(id: string): Promise<boolean> {
  return (await call('GET', `/v1/listing-status/${id}`, shop)).status.black;
}

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  platform.setNow(new Date('2026-06-01T02:00:00Z'));
  admin = await platform.token('admin', { org: 'credit-office' });
  provider = await platform.token('provider', { org: 'zb-court' });
  court = await platform.token('government', { org: 'zb-court' });
  shop = await platform.token('platform', { org: 'shop' });
  await registerProvider(platform, ['dishonest_judgement_debtor'], 'zb-court', '法院');
  await defineRule(platform, admin, debtorRule({ linkRelatedPersons: true }));
  for (let i = 0; i < 12; i++) {
    const company = {
      kind: 'legal_person',
      id: uscc(),
      name: `淄博缓存测试${i}有限公司`,
      sourceId: sourceId('ZX'),
    };
    companies.push(company);
    await call('POST', '/v1/records', provider, {
      sourceId: company.sourceId,
      category: 'dishonest_judgement_debtor',
      subject: { kind: company.kind, id: company.id, name: company.name },
      occurredAt: '2026-05-25',
      data: findEntry('dishonest_judgement_debtor')?.sample,
    });
  }
  await platform.drainConsumers();
  platform.setNow(new Date('2026-06-15T02:00:00Z'));
});
afterAll(async () => platform?.close());

async function decideAll(decision: (index: number) => 'publish' | 'reject' | undefined) {
  const pending = (await call('GET', '/v1/list-entries?status=noticed&limit=100', court)).items as {
    id: string;
    subject: { id: string };
  }[];
  for (const entry of pending) {
    const index = companies.findIndex((c) => c.id === entry.subject.id);
    const chosen = decision(index);
    if (chosen)
      await call('POST', `/v1/list-entries/${entry.id}/decision`, court, { decision: chosen, note: '认定' });
  }
}

describe('the listing cache', () => {
  it('answers what the database holds after decisions, exits, repairs through events, a measure change and a restart', async () => {
    await decideAll((i) => (i < 9 ? 'publish' : i === 9 ? 'reject' : undefined));
    // The decider's own process sees a decision at once, before any feed is drained.
    expect(await blackStatus(companies[0]?.id as string)).toBe(true);
    await platform.drainConsumers();
    await compare(platform.app);

    // An exit: the basis record withdrawn.
    await call('DELETE', `/v1/records/by-source/${companies[1]?.sourceId}`, provider, { reason: '法院撤销' });
    await platform.drainConsumers();
    // Repairs decided by the repair service, arriving on its feed: an entry, and a basis record.
    const published = await platform.database.query<{
      subject_key: Buffer;
      entry_id: string;
      basis: { recordId: string }[];
    }>(
      `SELECT subject_key, entry_id, basis FROM sanctions.list_entries WHERE status = 'published' AND parent_entry_id IS NULL ORDER BY entry_id`,
    );
    const [repairedEntry, repairedRecord] = published.slice(-2);
    const now = new Date('2026-06-15T02:00:00Z');
    await inTransaction(platform.database.db, async (tx) => {
      await appendEvents(
        tx,
        repairOutbox,
        'repair',
        [
          {
            type: 'entry.repaired',
            subjectKey: Buffer.from(repairedEntry?.subject_key as Buffer),
            aggregateId: 'rpr_test1',
            payload: {
              repairId: 'rpr_test1',
              entryId: repairedEntry?.entry_id,
              repairedAt: now.toISOString(),
            },
          },
          {
            type: 'record.repaired',
            subjectKey: Buffer.from(repairedRecord?.subject_key as Buffer),
            aggregateId: 'rpr_test2',
            payload: {
              repairId: 'rpr_test2',
              recordId: repairedRecord?.basis[0]?.recordId,
              repairedAt: now.toISOString(),
            },
          },
        ],
        now,
      );
    });
    // A measure the credit office changes.
    await call('PUT', '/v1/measures/key_inspection', admin, {
      name: '在行政监管中列为重点核查对象',
      nameEn: 'Key inspection target',
      listKind: 'black',
      domains: ['general', 'courts'],
      subjectScope: 'any',
      actions: ['inspection_planning'],
      effect: 'inspect',
      legalBasis: '测试',
      implementingDepartment: '各行政监管部门',
    });
    await platform.drainConsumers();
    const subjects = await compare(platform.app);
    const exited = await platform.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sanctions.list_entries WHERE status = 'exited'`,
    );
    expect(exited[0]?.n).toBeGreaterThanOrEqual(3);

    // A restart: a new process over the same database loads the cache afresh.
    const restarted = await buildPlatformApp(platform.runtime, {
      logger: createLogger('silent'),
      services: platformServices,
      clock: () => now,
    });
    await restarted.ready();
    try {
      await compare(restarted);
      // The other process's later changes reach it through the feed alone.
      await decideAll(() => 'publish');
      await platform.drainConsumers();
      await cacheOf(restarted).drain();
      await compare(restarted);
    } finally {
      await restarted.close();
    }
    console.log(
      `listing cache equal to the database for ${subjects} subjects after decisions, exits, repairs, a measure change and a restart`,
    );
  });

  it('stays equal while checks and listing reads run during changes', async () => {
    const more: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = uscc();
      more.push(id);
      await call('POST', '/v1/records', provider, {
        sourceId: sourceId('ZX'),
        category: 'dishonest_judgement_debtor',
        subject: { kind: 'legal_person', id, name: `淄博并发${i}有限公司` },
        occurredAt: '2026-06-10',
        data: findEntry('dishonest_judgement_debtor')?.sample,
      });
    }
    await platform.drainConsumers();
    platform.setNow(new Date('2026-07-01T02:00:00Z'));
    let stop = false;
    let reads = 0;
    const readers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const id = [...more, ...companies.map((c) => c.id)][
          reads % (more.length + companies.length)
        ] as string;
        const response =
          reads % 2 === 0
            ? await platform.request({ url: `/v1/listing-status/${id}`, token: shop })
            : await platform.request({
                method: 'POST',
                url: '/v1/checks',
                token: shop,
                body: {
                  subject: id,
                  action: 'platform_entry',
                  purpose: '入驻审核',
                },
              });
        expect(response.statusCode, response.body).toBe(200);
        reads++;
      }
    });
    const pending = (await call('GET', '/v1/list-entries?status=noticed&limit=100', court)).items as {
      id: string;
    }[];
    await Promise.all(
      pending.map((entry) =>
        call('POST', `/v1/list-entries/${entry.id}/decision`, court, { decision: 'publish', note: '认定' }),
      ),
    );
    await call('POST', '/v1/evaluations', admin);
    stop = true;
    await Promise.all(readers);
    await platform.drainConsumers();
    const subjects = await compare(platform.app);
    for (const id of more) expect(await blackStatus(id)).toBe(true);
    console.log(
      `listing cache equal to the database for ${subjects} subjects after ${reads} listing reads and checks served during changes`,
    );
  });
});
