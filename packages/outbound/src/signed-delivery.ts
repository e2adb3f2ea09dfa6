import { createHmac, timingSafeEqual } from 'node:crypto';
import { type OutboundGuard, OutboundRefusal } from './guard.ts';

/**
 * What every signed delivery out of the platform does the same way (webhooks to e-commerce
 * platforms, batches to the provincial exchange): sign the body with the receiver's secret, post
 * it through the guard, name a failure without naming the receiver's host, and wait longer after
 * each failed attempt.
 */

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, the `X-Credit-Signature` header. */
export function signDelivery(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** What a receiver does with `X-Credit-Signature`: true when it signs exactly this body with this secret. */
export function verifyDeliverySignature(secret: string, header: string, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match?.[1] || !match[2]) return false;
  const expected = signDelivery(secret, Number(match[1]), body).slice(-64);
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(match[2], 'hex'));
}

/** The delay before attempt `attempt + 1`: `baseMs` doubled per failed attempt, up to an hour, plus up to 20 % jitter. */
export function retryDelay(attempt: number, baseMs: number): number {
  const delay = Math.min(baseMs * 2 ** Math.max(attempt - 1, 0), 3_600_000);
  return delay + Math.floor(Math.random() * delay * 0.2);
}

export interface SignedPost {
  url: string;
  secret: string;
  /** Headers beside the content type and the signature. */
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  now: Date;
  /** Read up to this many bytes of the answer (an acknowledgement); 0 discards it. */
  answerLimit?: number;
}

export type SignedPostOutcome =
  | { status: number; answer: string | undefined; error: null }
  | { status: null; answer: undefined; error: string };

/**
 * Posts a signed JSON body through the guard (which vets the address again: DNS can change after
 * registration). Failures are values: the guard's reason or the network error's code, never its
 * message, which can name the receiver's host.
 */
export async function postSigned(outbound: OutboundGuard, call: SignedPost): Promise<SignedPostOutcome> {
  const timestamp = Math.floor(call.now.getTime() / 1000);
  try {
    const { status, answer } = await outbound.post(call.url, {
      headers: {
        'content-type': 'application/json',
        ...call.headers,
        'x-credit-signature': signDelivery(call.secret, timestamp, call.body),
      },
      body: call.body,
      timeoutMs: call.timeoutMs,
      answerLimit: call.answerLimit ?? 0,
    });
    return { status, answer, error: null };
  } catch (caught) {
    if (caught instanceof OutboundRefusal)
      return { status: null, answer: undefined, error: `receiver refused: ${caught.reason}` };
    if (caught instanceof Error)
      return {
        status: null,
        answer: undefined,
        error: (caught as NodeJS.ErrnoException).code ?? caught.name,
      };
    return { status: null, answer: undefined, error: 'request failed' };
  }
}
