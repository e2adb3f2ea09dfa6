import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { shanghaiDate } from '@credit/calendar';
import { verifyDeliverySignature } from '@credit/outbound';
import { displayUntil, findEntry } from '@credit/schema';
import {
  company,
  createTestPlatform,
  debtorRule,
  defineRule,
  eventually,
  person,
  push,
  record,
  registerDepartment,
  registerProvider,
  type TestPlatform,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

interface Item {
  itemId: string;
  position: number;
  operation: 'upsert' | 'delete';
  cause: string;
  preset: string;
  id: string;
  version: number;
  row: Record<string, string> | null;
}
interface Batch {
  batchId: string;
  replay: boolean;
  firstPosition: number;
  lastPosition: number;
  items: Item[];
}

/**
 * The upper platform as a real HTTP server: it checks every signature, answers the first request
 * 500 and lets the second time out, then acknowledges; it applies each item once (by item id),
 * answers a batch it saw before with the same acknowledgement, and refuses a penalty whose facts
 * say 拒收.
 */
class UpperPlatform {
  secret = '';
  requests = 0;
  badSignatures = 0;
  readonly applied = new Map<string, Item>();
  readonly order: Item[] = [];
  readonly batches: Batch[] = [];
  private readonly acknowledged = new Map<string, string>();
  private readonly hanging: ServerResponse[] = [];
  private server: Server | undefined;

  async start(): Promise<number> {
    const server = createServer((request, response) => this.answer(request, response));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  private answer(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.requests += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verifyDeliverySignature(this.secret, String(request.headers['x-credit-signature']), body)) {
        this.badSignatures += 1;
        response.writeHead(401).end();
        return;
      }
      if (this.requests === 1) return void response.writeHead(500).end();
      if (this.requests === 2) return void this.hanging.push(response);
      const batch = JSON.parse(body) as Batch;
      const seen = this.acknowledged.get(batch.batchId);
      if (seen) return void response.writeHead(200, { 'content-type': 'application/json' }).end(seen);
      this.batches.push(batch);
      const refused = [];
      for (const item of batch.items) {
        if (item.row?.违法事实?.includes('拒收')) {
          refused.push({ itemId: item.itemId, code: 'item_invalid', reason: '违法事实 含不予接收的内容' });
          continue;
        }
        if (this.applied.has(item.itemId)) continue;
        this.applied.set(item.itemId, item);
        this.order.push(item);
      }
      const answer = JSON.stringify({ batchId: batch.batchId, refused });
      this.acknowledged.set(batch.batchId, answer);
      response.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    });
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const upper = new UpperPlatform();
let platform: TestPlatform;
let admin: string;
let receiverId: string;
let now = new Date('2026-06-01T02:00:00Z');
const retryBaseMs = 60_000;
const refusedPositions: number[] = [];

beforeAll(async () => {
  const port = await upper.start();
  platform = await createTestPlatform(
    platformServices.map((service) =>
      service.name === 'query'
        ? {
            ...service,
            options: { exchange: { pollMs: 20, batchSize: 4, retryBaseMs, timeoutMs: 300, leaseMs: 30_000 } },
          }
        : service,
    ),
    { env: { OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${port}` }, now },
  );
  admin = await platform.token('admin', { org: 'credit-office' });
  const created = await platform.request({
    method: 'POST',
    url: '/v1/exchange/receivers',
    token: admin,
    body: { name: '省公共信用信息平台', url: `http://127.0.0.1:${port}/exchange` },
  });
  expect(created.statusCode, created.body).toBe(201);
  receiverId = created.json().id;
  upper.secret = created.json().secret;
});
afterAll(async () => {
  await platform?.close();
  await upper.stop();
});

/** Moves the platform clock past any back-off (the sender's waits are on that clock). */
const advance = () => {
  now = new Date(now.getTime() + 2 * retryBaseMs * 64);
  platform.setNow(now);
};

async function ledger() {
  const items = [];
  let cursor: string | undefined;
  do {
    const page = await platform.request({
      url: `/v1/exchange/receivers/${receiverId}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      token: admin,
    });
    expect(page.statusCode, page.body).toBe(200);
    items.push(...page.json().items);
    cursor = page.json().next;
  } while (cursor);
  return items as {
    batchId: string;
    status: string;
    attempts: number;
    lastStatus: number | null;
    lastError: string | null;
    replay: boolean;
    firstPosition: number;
    items: {
      itemId: string;
      position: number;
      operation: string;
      cause: string;
      outcome: string;
      refusal: { code: string; reason: string } | null;
      id: string;
    }[];
  }[];
}

/** Waits until the receiver acknowledged everything the log holds. */
async function settled() {
  await platform.drainConsumers();
  const receiver = await eventually(
    async () => {
      advance();
      return (await platform.request({ url: `/v1/exchange/receivers/${receiverId}`, token: admin })).json();
    },
    (r: { cursor: number; head: number }) => r.head > 0 && r.cursor === r.head,
  );
  expect(receiver.cursor).toBe(receiver.head);
  return receiver as { cursor: number; head: number };
}

describe('the delivery ledger to the provincial platform', () => {
  const org = company('淄博甲陶瓷有限公司');
  const other = company('淄博乙建材有限公司');
  let penaltySource = '';

  it('delivers every public change once, in order per subject, through a 500 and a time-out', async () => {
    const provider = await registerProvider(platform, [
      'administrative_penalty',
      'org_licence',
      'dishonest_judgement_debtor',
    ]);
    const penalty = record('administrative_penalty', org);
    penaltySource = penalty.sourceId;
    const penaltyId = (await push(platform, provider.token, penalty)).id;
    await push(platform, provider.token, record('org_licence', other));
    await push(platform, provider.token, record('administrative_penalty', person()));
    const corrected = await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${penalty.sourceId}`,
      token: provider.token,
      body: {
        category: penalty.category,
        subject: penalty.subject,
        occurredAt: penalty.occurredAt,
        data: { ...penalty.data, facts: '经复核更正的违法事实' },
        reason: '更正',
      },
    });
    expect(corrected.statusCode, corrected.body).toBe(200);
    // A list decision: the court's debtor rule lists the other company, the court publishes it.
    await registerDepartment(platform, 'zb-court', ['dishonesty'], '法院');
    const court = await platform.token('government', { org: 'zb-court' });
    await defineRule(platform, admin, debtorRule());
    const courtProvider = await registerProvider(
      platform,
      ['dishonest_judgement_debtor'],
      'zb-court',
      '法院',
    );
    await push(
      platform,
      courtProvider.token,
      record('dishonest_judgement_debtor', other, { occurredAt: '2026-05-25' }),
    );
    await platform.drainConsumers();
    const noticed = (await platform.request({ url: '/v1/list-entries?status=noticed', token: court })).json()
      .items;
    expect(noticed).toHaveLength(1);
    now = new Date('2026-06-20T02:00:00Z');
    platform.setNow(now);
    const decided = await platform.request({
      method: 'POST',
      url: `/v1/list-entries/${noticed[0].id}/decision`,
      token: court,
      body: { decision: 'publish', note: '认定' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    const withdrawn = await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${penalty.sourceId}`,
      token: provider.token,
      body: { reason: '决定撤销', reasonCode: 'decision_revoked' },
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);

    await settled();
    expect(upper.badSignatures).toBe(0);
    // Exactly once: every change the ledger sent reached the receiver once, in log order.
    const sent = (await ledger()).flatMap((b) => b.items.map((i) => i.position)).sort((a, b) => a - b);
    expect(sent.length).toBeGreaterThanOrEqual(6);
    expect(upper.order.map((item) => item.position)).toEqual(sent);
    // No item came twice under different batches (a retry repeats its batch id, which the receiver knows).
    const carried = upper.batches.flatMap((b) => b.items.map((i) => i.position));
    expect(carried).toEqual(sent);
    const ofOrg = upper.order.filter(
      (item) => item.row?.统一社会信用代码 === org.id || item.id === penaltyId,
    );
    const penaltyItems = upper.order.filter((item) => item.preset === 'shuanggongshi-penalty');
    expect(penaltyItems.map((item) => [item.operation, item.cause, item.version])).toEqual([
      ['upsert', 'record.created', 1],
      ['upsert', 'record.corrected', 2],
      ['delete', 'record.withdrawn', 3],
    ]);
    expect(penaltyItems[1]?.row).toMatchObject({
      行政相对人名称: '淄博甲陶瓷有限公司',
      统一社会信用代码: org.id,
      违法事实: '经复核更正的违法事实',
      行政处罚决定书文号: penalty.data.documentNumber,
    });
    expect(ofOrg.every((item) => item.preset === 'shuanggongshi-penalty')).toBe(true);
    // The person's penalty is not public disclosure, so it never leaves.
    expect(upper.order.some((item) => item.row?.证件号码)).toBe(false);
    const otherItems = upper.order.filter((item) => item.row?.统一社会信用代码 === other.id);
    expect(otherItems.map((item) => item.preset)).toEqual([
      'shuanggongshi-licence',
      'platform-record',
      'platform-list-entry',
    ]);
    expect(otherItems[2]?.row).toMatchObject({ 名单类型: '失信惩戒名单（黑名单）', 名单领域: 'courts' });

    const batches = await ledger();
    const first = batches.at(-1);
    expect(first).toMatchObject({ status: 'acknowledged', attempts: 3, lastStatus: 200, lastError: null });
    expect(batches.every((b) => b.status === 'acknowledged')).toBe(true);
  });

  it('shows a refused item in the ledger with the receiver’s reason', async () => {
    const provider = await registerProvider(platform, ['administrative_penalty']);
    const refused = record('administrative_penalty', company('淄博丙化工有限公司'));
    refused.data = { ...refused.data, facts: '拒收：测试数据' };
    const receipt = await push(platform, provider.token, refused);
    await settled();
    const items = (await ledger()).flatMap((b) => b.items);
    const item = items.find((i) => i.id === receipt.id);
    expect(item).toMatchObject({
      outcome: 'refused',
      refusal: { code: 'item_invalid', reason: '违法事实 含不予接收的内容' },
    });
    expect(upper.applied.has(item?.itemId ?? '')).toBe(false);
    refusedPositions.push(item?.position ?? 0);
  });

  it('replays from a position: the receiver gets everything from there again, under the same item ids', async () => {
    const before = upper.applied.size;
    const batchesBefore = upper.batches.length;
    const replay = await platform.request({
      method: 'POST',
      url: `/v1/exchange/receivers/${receiverId}/replay`,
      token: admin,
      body: { position: 3 },
    });
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json().cursor).toBe(2);
    const { head } = await settled();
    const resent = upper.batches.slice(batchesBefore);
    expect(resent[0]).toMatchObject({ replay: true, firstPosition: 3 });
    expect(resent.flatMap((b) => b.items.map((i) => i.position))).toEqual(
      [...upper.order.map((i) => i.position), ...refusedPositions]
        .filter((p) => p >= 3)
        .sort((a, b) => a - b),
    );
    // An idempotent receiver applies nothing twice.
    expect(upper.applied.size).toBe(before);
    expect((await ledger()).filter((b) => b.replay).length).toBeGreaterThan(0);
    expect(penaltySource).not.toBe('');

    const beyond = await platform.request({
      method: 'POST',
      url: `/v1/exchange/receivers/${receiverId}/replay`,
      token: admin,
      body: { position: head + 2 },
    });
    expect(beyond.statusCode).toBe(422);
  });

  it('takes a record off the receiver when its display period ends, and never sends one already over', async () => {
    const provider = await registerProvider(platform, ['administrative_penalty']);
    const entry = findEntry('administrative_penalty');
    if (!entry) throw new Error('no administrative_penalty entry');
    const occurredOn = shanghaiDate(new Date(now.getTime() - 360 * 86_400_000));
    const until = displayUntil(entry, new Date(`${occurredOn}T00:00:00+08:00`), {}, 'general');
    expect(until && until > now).toBe(true);
    const ending = await push(
      platform,
      provider.token,
      record('administrative_penalty', company('淄博戊纺织有限公司'), { occurredAt: occurredOn }),
    );
    const over = await push(
      platform,
      provider.token,
      record('administrative_penalty', company('淄博己纺织有限公司'), { occurredAt: '2024-01-10' }),
    );
    await settled();
    now = new Date((until as Date).getTime() + 86_400_000);
    platform.setNow(now);
    const expiry = await platform.request({ method: 'POST', url: '/v1/expiry-runs', token: admin });
    expect(expiry.statusCode, expiry.body).toBe(200);
    await settled();
    const sent = (await ledger()).flatMap((b) => b.items).sort((a, b) => a.position - b.position);
    expect(sent.filter((i) => i.id === ending.id).map((i) => [i.operation, i.cause])).toEqual([
      ['upsert', 'record.created'],
      ['delete', 'record.display_ended'],
    ]);
    expect(sent.some((i) => i.id === over.id)).toBe(false);
  });

  it('signs with the new secret once it is changed: the receiver refuses the old signature until it has it', async () => {
    const rotated = `rotated-${'s'.repeat(40)}`;
    const refusedBefore = upper.badSignatures;
    const patched = await platform.request({
      method: 'PATCH',
      url: `/v1/exchange/receivers/${receiverId}`,
      token: admin,
      body: { secret: rotated },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const provider = await registerProvider(platform, ['org_licence']);
    await push(platform, provider.token, record('org_licence', company('淄博丁机械有限公司')));
    await platform.drainConsumers();
    const [open] = await eventually(
      async () => {
        advance();
        return ledger();
      },
      (batches) => batches[0]?.status === 'open' && batches[0].lastStatus === 401,
    );
    expect(open).toMatchObject({ status: 'open', lastStatus: 401, lastError: 'HTTP 401' });
    expect(upper.badSignatures).toBeGreaterThan(refusedBefore);
    upper.secret = rotated;
    await settled();
    expect((await ledger())[0]).toMatchObject({ status: 'acknowledged', lastStatus: 200 });
  });

  it('refuses a receiver inside the network unless the operator allowed its host', async () => {
    for (const url of [
      'https://127.0.0.1/x',
      'http://127.0.0.1:1/x',
      'https://[::1]/x',
      'https://10.0.0.1/x',
    ]) {
      const response = await platform.request({
        method: 'POST',
        url: '/v1/exchange/receivers',
        token: admin,
        body: { name: '内网', url },
      });
      expect(response.statusCode, url).toBe(422);
      expect(response.json()).toMatchObject({ code: 'receiver_not_allowed', errors: [{ path: 'url' }] });
    }
    const patched = await platform.request({
      method: 'PATCH',
      url: `/v1/exchange/receivers/${receiverId}`,
      token: admin,
      body: { url: 'https://169.254.169.254/latest' },
    });
    expect(patched.statusCode).toBe(422);
    const listed = (await platform.request({ url: '/v1/exchange/receivers', token: admin })).json().items;
    expect(listed).toEqual([expect.objectContaining({ id: receiverId, enabled: true })]);
    const provider = await platform.token('provider', { org: 'zb-tax' });
    expect((await platform.request({ url: '/v1/exchange/receivers', token: provider })).statusCode).toBe(403);
    const disabled = await platform.request({
      method: 'POST',
      url: `/v1/exchange/receivers/${receiverId}/disable`,
      token: admin,
    });
    expect(disabled.json()).toMatchObject({ enabled: false });
  });
});
