import { ingestDefinition } from '@credit/ingest/service';
import { queryDefinition } from '@credit/query/service';
import { sanctionsDefinition } from '@credit/sanctions/service';
import { findEntry } from '@credit/schema';
import { createTestPlatform, registerProvider, sourceId, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A report PDF is rendered on the query service's render threads, never on the event loop: while
 * one is being made (here its thread's cold start, the slowest render there is), other requests
 * are answered; and when every renderer is taken and none may wait, a further PDF is refused at
 * once with 503 `reports_busy` and Retry-After, before any report is issued for it.
 */
let platform: TestPlatform;
let shop: string;
let own: string;
const org = { kind: 'legal_person', id: uscc(), name: '淄博顺达纸业有限公司' };

beforeAll(async () => {
  platform = await createTestPlatform([
    ingestDefinition,
    {
      ...queryDefinition,
      options: { reportRenderThreads: 1, reportRenderQueue: 0, reportRenderWarm: false },
    },
    sanctionsDefinition,
  ]);
  const provider = (await registerProvider(platform, ['administrative_penalty'], 'dept-render', '市场监管局'))
    .token;
  for (let i = 0; i < 3; i++) {
    const pushed = await platform.request({
      method: 'POST',
      url: '/v1/records',
      token: provider,
      body: {
        sourceId: sourceId('RT'),
        category: 'administrative_penalty',
        subject: org,
        occurredAt: '2026-03-10',
        data: findEntry('administrative_penalty')?.sample,
      },
    });
    expect(pushed.statusCode, pushed.body).toBe(201);
  }
  await platform.drainConsumers();
  shop = await platform.token('platform', { org: 'shop' });
  own = await platform.token('subject', { subject: org.id });
});
afterAll(async () => platform?.close());

const pdfReport = () =>
  platform.request({
    url: `/v1/subjects/${org.id}/report`,
    token: own,
    headers: { accept: 'application/pdf' },
  });

async function issuedReports(): Promise<number> {
  const [row] = await platform.database.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM query.issued_reports',
  );
  return row?.n ?? 0;
}

describe('report PDFs off the event loop', () => {
  it('answers a listing status while a PDF is being rendered, and refuses a PDF no renderer can take', async () => {
    const renders = async () =>
      (await platform.app.metrics.reportRenders.get()).values.reduce((sum, v) => sum + v.value, 0);
    const order: string[] = [];
    const pdf = pdfReport().then((response) => {
      order.push('pdf');
      return response;
    });
    // The PDF request has reached the pool: its thread starts and warms up, then renders it.
    for (let spins = 0; (await renders()) === 0; spins++) {
      expect(spins, 'the PDF request never reached the render pool').toBeLessThan(100_000);
      await new Promise((resolve) => setImmediate(resolve));
    }

    const issued = await issuedReports();
    const busy = await pdfReport();
    expect(busy.statusCode, busy.body).toBe(503);
    expect(busy.json().code).toBe('reports_busy');
    expect(Number(busy.headers['retry-after'])).toBeGreaterThan(0);

    const listing = await platform.request({ url: `/v1/listing-status/${org.id}`, token: shop });
    order.push('listing');
    expect(listing.statusCode, listing.body).toBe(200);
    expect(order).toEqual(['listing']);

    const rendered = await pdf;
    expect(order).toEqual(['listing', 'pdf']);
    expect(rendered.statusCode, rendered.body.slice(0, 300)).toBe(200);
    expect(rendered.headers['content-type']).toBe('application/pdf');
    expect(rendered.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // The refused PDF issued no report (the one rendered was issued before it was asked for).
    expect(await issuedReports()).toBe(issued);

    // Once the renderer is free again, the next PDF is made by the same warm thread.
    const again = await pdfReport();
    expect(again.statusCode).toBe(200);
    expect(await renders()).toBe(0);
  });
});
