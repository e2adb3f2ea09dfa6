import { randomBytes } from 'node:crypto';
import { sealSigningSecret } from '@credit/crypto';
import { ProblemError } from '@credit/errors';
import { principalOf, requireSubject, vetReceiverUrl, type ZodTypeProvider } from '@credit/http';
import {
  instant,
  pageQuerySchema,
  pageSchema,
  prefixedId,
  toPage,
  watchRegistrationSchema,
  webhookRegistrationSchema,
} from '@credit/schema';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { watches, webhookDeliveries, webhookSecrets, webhooks } from '../db/schema.ts';

/**
 * Deliveries are listed newest first by creation time, then id (ids are derived from the
 * platform and event, not from time): the key of the last delivery a page held.
 */
const deliveryQuery = pageQuerySchema(z.tuple([instant(), prefixedId('dlv')]), {
  status: z.enum(['pending', 'delivered', 'failing', 'dead']).optional(),
});

const deliverySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  status: z.enum(['pending', 'delivered', 'failing', 'dead']),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string(),
  deliveredAt: z.string().nullable(),
});

/** What a platform follows and where: watched merchants, its webhook, and the deliveries' fate. */
export async function webhookRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const platformOf = (request: Parameters<typeof principalOf>[0]) => {
    const org = principalOf(request).org;
    if (!org) throw new ProblemError('forbidden', 'the token names no platform (org claim)');
    return org;
  };

  app.put(
    '/v1/webhooks',
    {
      config: { auth: { roles: ['platform'] } },
      schema: {
        tags: ['listing'],
        summary: 'Set the platform’s webhook; the answer carries the signing secret (shown once)',
        description:
          'Deliveries are POSTed with `X-Credit-Event-Id` (deduplicate on it), `X-Credit-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, retried with backoff after failures. The URL must be `https` and resolve only to public addresses (not loopback, private, link-local, unique-local, multicast or metadata addresses) unless the operator allowed its host in `OUTBOUND_ALLOWED_HOSTS`; this is checked here (422 `receiver_not_allowed` or `receiver_unresolvable`) and again at each delivery, which connects to the checked address and never follows redirects.',
        body: webhookRegistrationSchema,
        response: { 200: z.object({ url: z.string(), secret: z.string() }) },
      },
    },
    async (request) => {
      const { url } = request.body;
      const platform = platformOf(request);
      await vetReceiverUrl(app.outbound, url);
      const secret = randomBytes(32).toString('base64url');
      // Stored only sealed; this answer is the one place the secret is ever shown.
      const { keyId, ciphertext } = sealSigningSecret(app.keyring, webhookSecrets.ownerOf(platform), secret);
      const sealed = { secretCipher: ciphertext, keyId, plainSecret: null };
      const now = app.clock();
      await app.db
        .insert(webhooks)
        .values({ platform, url, ...sealed, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({ target: webhooks.platform, set: { url, ...sealed, updatedAt: now } });
      return { url, secret };
    },
  );

  app.post(
    '/v1/watches',
    {
      config: { auth: { roles: ['platform'] } },
      schema: {
        tags: ['listing'],
        summary: 'Follow merchants: their listing changes reach the change feed and the webhook',
        body: watchRegistrationSchema,
        response: { 200: z.object({ watching: z.number().int() }) },
      },
    },
    async (request) => {
      const { subjects } = request.body;
      const platform = platformOf(request);
      const now = app.clock();
      const rows = subjects.map((id, index) => ({
        subjectKey: requireSubject(app.keyring, id, `subjects.${index}`).key,
        platform,
        createdAt: now,
      }));
      await app.db.insert(watches).values(rows).onConflictDoNothing();
      const all = await app.db
        .select({ key: watches.subjectKey })
        .from(watches)
        .where(eq(watches.platform, platform));
      return { watching: all.length };
    },
  );

  app.get(
    '/v1/webhooks/deliveries',
    {
      config: { auth: { roles: ['platform'] } },
      schema: {
        tags: ['listing'],
        summary: 'Webhook deliveries: delivered, failing (retrying) or dead',
        querystring: deliveryQuery,
        response: { 200: pageSchema(deliverySchema) },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const platform = platformOf(request);
      const rows = await app.db
        .select()
        .from(webhookDeliveries)
        .where(
          and(
            eq(webhookDeliveries.platform, platform),
            status ? eq(webhookDeliveries.status, status) : undefined,
            cursor
              ? sql`(${webhookDeliveries.createdAt}, ${webhookDeliveries.deliveryId}) < (${cursor[0]}::timestamptz, ${cursor[1]})`
              : undefined,
          ),
        )
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.deliveryId))
        .limit(limit + 1);
      const page = toPage(rows, limit, (d) => [d.createdAt.toISOString(), d.deliveryId]);
      return {
        ...page,
        items: page.items.map((d) => ({
          id: d.deliveryId,
          eventId: d.eventId,
          status: d.status,
          attempts: d.attempts,
          lastStatus: d.lastStatus,
          lastError: d.lastError,
          nextAttemptAt: d.nextAttemptAt.toISOString(),
          deliveredAt: d.deliveredAt?.toISOString() ?? null,
        })),
      };
    },
  );
}
