import { idFromDigest, type Keyring, openSigningSecret, sha256 } from '@credit/crypto';
import type { Database, Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import { type OutboundGuard, postSigned, retryDelay } from '@credit/outbound';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { watches, webhookDeliveries, webhookSecrets, webhooks } from '../db/schema.ts';

export const webhookDispatchName = 'sanctions-webhook-dispatch';

/** Event types platforms are told about. */
export const listingChangeTypes = ['list.entry.published', 'list.entry.exited'];

/**
 * Turns listing changes into deliveries, in the consumer's transaction: one per platform that
 * watches the subject and has a webhook. The delivery id derives from (platform, event id), so a replayed batch
 * creates nothing twice. Sending happens elsewhere, so a receiver that is down never holds up
 * the lists, the checks or ingest.
 */
export async function dispatchListingChanges(tx: Executor, events: FeedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const keys = [...new Map(events.map((e) => [e.subjectKey.toString('hex'), e.subjectKey])).values()];
  const watchers = await tx
    .select({ subjectKey: watches.subjectKey, platform: watches.platform })
    .from(watches)
    .innerJoin(webhooks, eq(webhooks.platform, watches.platform))
    .where(inArray(watches.subjectKey, keys));
  const byKey = new Map<string, string[]>();
  for (const w of watchers) {
    const list = byKey.get(w.subjectKey.toString('hex')) ?? [];
    list.push(w.platform);
    byKey.set(w.subjectKey.toString('hex'), list);
  }
  const rows = events.flatMap((event) =>
    (byKey.get(event.subjectKey.toString('hex')) ?? []).map((platform) => ({
      deliveryId: idFromDigest('dlv', sha256(`${platform}\u0000${event.eventId}`)),
      platform,
      eventId: event.eventId,
      subjectKey: event.subjectKey,
      payload: { ...(event.payload as Record<string, unknown>), eventId: event.eventId },
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAt: event.createdAt,
      createdAt: event.createdAt,
    })),
  );
  if (rows.length > 0) await tx.insert(webhookDeliveries).values(rows).onConflictDoNothing();
}

export interface SenderSettings {
  /** First retry delay; each further attempt doubles it (with jitter), up to an hour. */
  retryBaseMs: number;
  maxAttempts: number;
  timeoutMs: number;
  /** How long a claimed delivery is reserved for the instance that claimed it. */
  leaseMs: number;
}

/**
 * The platform's signing secret, opened for one delivery; undefined when it does not open (a key
 * the keyring no longer holds, an altered row). A row from before the secrets were sealed that
 * the start has not sealed yet still signs with the secret it holds.
 */
function signingSecretOf(keyring: Keyring, hook: typeof webhooks.$inferSelect): string | undefined {
  if (!hook.secretCipher || !hook.keyId) return hook.plainSecret ?? undefined;
  try {
    return openSigningSecret(keyring, webhookSecrets.ownerOf(hook.platform), hook.keyId, hook.secretCipher);
  } catch {
    return undefined;
  }
}

/**
 * Sends due deliveries: claims a few (leasing them so concurrent senders do not send the same
 * one), posts each signed body with its event id through the outbound guard (which checks the
 * receiver's address again, since DNS can change after registration), and records delivered,
 * failing (retry later with backoff) or dead (out of attempts). The database is not held while
 * waiting on receivers.
 */
export async function sendDueDeliveries(
  db: Database,
  keyring: Keyring,
  outbound: OutboundGuard,
  settings: SenderSettings,
  now: () => Date,
  onOutcome: (outcome: 'delivered' | 'failing' | 'dead') => void = () => {},
  limit = 20,
): Promise<number> {
  const claimed = await db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(webhookDeliveries)
      .where(
        and(
          inArray(webhookDeliveries.status, ['pending', 'failing']),
          sql`${webhookDeliveries.nextAttemptAt} <= ${now()}`,
        ),
      )
      .orderBy(webhookDeliveries.nextAttemptAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    await tx
      .update(webhookDeliveries)
      .set({
        nextAttemptAt: new Date(now().getTime() + settings.leaseMs),
        attempts: sql`${webhookDeliveries.attempts} + 1`,
      })
      .where(
        inArray(
          webhookDeliveries.deliveryId,
          due.map((d) => d.deliveryId),
        ),
      );
    return due;
  });
  if (claimed.length === 0) return 0;
  const hooks = await db
    .select()
    .from(webhooks)
    .where(inArray(webhooks.platform, [...new Set(claimed.map((d) => d.platform))]));
  const byPlatform = new Map(hooks.map((h) => [h.platform, h]));

  await Promise.all(
    claimed.map(async (delivery) => {
      const attempt = delivery.attempts + 1;
      const hook = byPlatform.get(delivery.platform);
      const secret = hook && signingSecretOf(keyring, hook);
      let status: number | null = null;
      let error: string | null = null;
      if (!hook) {
        error = 'the platform has no webhook';
      } else if (!secret) {
        error = 'the signing secret does not open';
      } else {
        ({ status, error } = await postSigned(outbound, {
          url: hook.url,
          secret,
          headers: {
            'x-credit-event-id': delivery.eventId,
            'x-credit-delivery-id': delivery.deliveryId,
            'x-credit-attempt': String(attempt),
          },
          body: JSON.stringify(delivery.payload),
          timeoutMs: settings.timeoutMs,
          now: now(),
        }));
      }
      const delivered = status !== null && status >= 200 && status < 300;
      const dead = !delivered && attempt >= settings.maxAttempts;
      onOutcome(delivered ? 'delivered' : dead ? 'dead' : 'failing');
      await db
        .update(webhookDeliveries)
        .set({
          status: delivered ? 'delivered' : dead ? 'dead' : 'failing',
          lastStatus: status,
          lastError: delivered ? null : (error ?? `HTTP ${status}`),
          deliveredAt: delivered ? now() : null,
          nextAttemptAt:
            delivered || dead ? now() : new Date(now().getTime() + retryDelay(attempt, settings.retryBaseMs)),
        })
        .where(eq(webhookDeliveries.deliveryId, delivery.deliveryId));
    }),
  );
  return claimed.length;
}
