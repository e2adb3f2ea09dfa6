import type { Keyring } from '@credit/crypto';
import { type OutboundGuard, postSigned, retryDelay } from '@credit/outbound';
import {
  type ExportPreset,
  exchangeAcknowledgementSchema,
  listEntryToItems,
  type SubjectKind,
  toNationalItems,
} from '@credit/schema';
import type { createReadModelRepository } from '../../repositories/read-model-repository.ts';
import { openSubject } from '../../repositories/read-model-repository.ts';
import type {
  BatchRow,
  ExchangeRepository,
  LogRow,
  ReceiverRow,
} from '../repositories/exchange-repository.ts';

export interface ExchangeSettings {
  /** How often the sender looks for work. */
  pollMs: number;
  /** Most items in one batch. */
  batchSize: number;
  /** First retry delay; each further failed attempt doubles it (with jitter), up to an hour. */
  retryBaseMs: number;
  timeoutMs: number;
  /** How long a claimed batch is reserved for the sender that claimed it. */
  leaseMs: number;
}

export interface SenderDependencies {
  exchange: ExchangeRepository;
  readModel: ReturnType<typeof createReadModelRepository>;
  keyring: Keyring;
  outbound: OutboundGuard;
  clock: () => Date;
  onOutcome?: (outcome: 'acknowledged' | 'failing') => void;
}

/** The most of a receiver's answer that is read: an acknowledgement with a reason per refused item. */
const answerLimit = 4 * 1024 * 1024;

interface BatchItem {
  itemId: string;
  position: number;
  operation: 'upsert' | 'delete';
  cause: string;
  preset: string;
  id: string;
  version: number;
  row: Record<string, string> | null;
  /** Set on an upsert whose content was lawfully erased since: nothing of it may travel. */
  erased?: true;
}

/** The body a batch travels as (docs/exchange.md): stable across attempts, the same items each time. */
export interface BatchDocument {
  batchId: string;
  receiverId: string;
  sequence: number;
  format: string;
  replay: boolean;
  firstPosition: number;
  lastPosition: number;
  items: BatchItem[];
}

type Identity = { kind: SubjectKind; id: string; name: string };

/** The national row of one upsert; deletions carry none (the id and version name what goes). */
function rowOf(entry: LogRow, subject: Identity): Record<string, string> | null {
  const content = entry.content;
  if (entry.operation === 'delete' || !content) return null;
  if (entry.refKind === 'list_entry')
    return listEntryToItems({
      entryId: entry.refId,
      version: entry.refVersion,
      subject,
      listKind: content.listKind as 'red' | 'black',
      domain: String(content.domain),
      validFrom: typeof content.validFrom === 'string' ? new Date(content.validFrom) : null,
      validUntil: typeof content.validUntil === 'string' ? new Date(content.validUntil) : null,
      measures: (content.measures as string[] | undefined) ?? [],
    }).row;
  return toNationalItems({
    recordId: entry.refId,
    version: entry.refVersion,
    category: String(content.category),
    subject,
    occurredOn: String(content.occurredOn),
    data: (content.data as Record<string, unknown>) ?? {},
    providerCode: String(content.providerCode),
    displayUntil: typeof content.displayUntil === 'string' ? new Date(content.displayUntil) : null,
  }).row;
}

/** Builds a batch's document from the log, or says why it cannot yet (an identity not projected). */
async function batchDocument(
  deps: SenderDependencies,
  batch: BatchRow,
  receiver: ReceiverRow,
): Promise<BatchDocument | { missing: string }> {
  const entries = await deps.exchange.logRange(batch.firstPosition, batch.lastPosition);
  const keys = [...new Map(entries.map((e) => [e.subjectKey.toString('hex'), e.subjectKey])).values()];
  const stored = await deps.readModel.subjectsByKey(keys);
  const identities = new Map<string, Identity>();
  for (const [hex, row] of stored) {
    const opened = openSubject(deps.keyring, row);
    identities.set(hex, { kind: row.kind as SubjectKind, id: opened.identifier, name: opened.name });
  }
  const items: BatchItem[] = [];
  for (const entry of entries) {
    const subject = identities.get(entry.subjectKey.toString('hex'));
    if (!subject && entry.operation === 'upsert') return { missing: 'subject_not_projected' };
    items.push({
      itemId: entry.itemId,
      position: entry.position,
      operation: entry.operation,
      cause: entry.cause,
      preset: entry.preset as ExportPreset,
      id: entry.refId,
      version: entry.refVersion,
      row: subject ? rowOf(entry, subject) : null,
      ...(entry.operation === 'upsert' && entry.content === null ? { erased: true as const } : {}),
    });
  }
  return {
    batchId: batch.batchId,
    receiverId: receiver.receiverId,
    sequence: batch.batchNo,
    format: receiver.format,
    replay: batch.replay,
    firstPosition: batch.firstPosition,
    lastPosition: batch.lastPosition,
    items,
  };
}

/**
 * One attempt at one batch: signed and posted through the outbound guard; a 2xx answer that
 * acknowledges this batch id moves the receiver's cursor and records the items it refused; any
 * other answer (a status, a time-out, an answer for another batch) is retried with back-off.
 */
async function attempt(
  deps: SenderDependencies,
  settings: ExchangeSettings,
  batch: BatchRow & { receiver: ReceiverRow },
) {
  const { receiver } = batch;
  const fail = async (status: number | null, error: string) => {
    deps.onOutcome?.('failing');
    const retryAt = new Date(deps.clock().getTime() + retryDelay(batch.attempts, settings.retryBaseMs));
    await deps.exchange.recordFailure(batch, { status, error }, retryAt);
  };
  const document = await batchDocument(deps, batch, receiver);
  if ('missing' in document) return fail(null, document.missing);
  const secret = deps.exchange.signingSecret(receiver);
  if (!secret) return fail(null, 'the signing secret does not open');
  const outcome = await postSigned(deps.outbound, {
    url: receiver.url,
    secret,
    headers: {
      'x-credit-batch-id': batch.batchId,
      'x-credit-attempt': String(batch.attempts),
    },
    body: JSON.stringify(document),
    timeoutMs: settings.timeoutMs,
    now: deps.clock(),
    answerLimit,
  });
  if (outcome.status === null) return fail(null, outcome.error);
  if (outcome.status < 200 || outcome.status >= 300) return fail(outcome.status, `HTTP ${outcome.status}`);
  const acknowledgement = parseAcknowledgement(outcome.answer);
  if (!acknowledgement || acknowledgement.batchId !== batch.batchId)
    return fail(outcome.status, 'the answer does not acknowledge this batch');
  const positions = new Map(document.items.map((item) => [item.itemId, item.position]));
  const refusals = acknowledgement.refused.flatMap((refusal) => {
    const position = positions.get(refusal.itemId);
    return position === undefined
      ? []
      : [
          {
            position,
            itemId: refusal.itemId,
            code: refusal.code ?? null,
            reason: refusal.reason.slice(0, 2000),
          },
        ];
  });
  deps.onOutcome?.('acknowledged');
  await deps.exchange.acknowledge(batch, outcome.status, refusals, deps.clock());
}

function parseAcknowledgement(answer: string | undefined) {
  if (!answer) return undefined;
  try {
    const parsed = exchangeAcknowledgementSchema.safeParse(JSON.parse(answer));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One round of the sender: cuts the next batch for each receiver that is behind, then attempts
 * every batch that is due. Receivers are independent; within one, a batch follows only once the
 * one before is acknowledged, so each subject's changes arrive in log order.
 */
export async function sendExchangeBatches(
  deps: SenderDependencies,
  settings: ExchangeSettings,
): Promise<number> {
  await deps.exchange.openBatches(deps.clock(), settings.batchSize);
  const claimed = await deps.exchange.claimDue(deps.clock(), settings.leaseMs, 20);
  await Promise.all(claimed.map((batch) => attempt(deps, settings, batch)));
  return claimed.length;
}
