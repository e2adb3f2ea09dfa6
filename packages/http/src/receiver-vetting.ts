import { ProblemError } from '@credit/errors';
import { type OutboundGuard, OutboundRefusal } from '@credit/outbound';

/**
 * Refuses a receiver URL the platform must not call (webhooks, exchange receivers), before
 * anything is stored: 422 `receiver_not_allowed` or `receiver_unresolvable`, naming `path`.
 */
export async function vetReceiverUrl(outbound: OutboundGuard, url: string, path = 'url'): Promise<void> {
  try {
    await outbound.vet(url);
  } catch (error) {
    if (!(error instanceof OutboundRefusal)) throw error;
    const code = error.reason === 'unresolvable' ? 'receiver_unresolvable' : 'receiver_not_allowed';
    throw new ProblemError(code, error.message, { errors: [{ path, code, message: error.message }] });
  }
}
