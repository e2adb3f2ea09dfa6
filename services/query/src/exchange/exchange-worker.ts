import { type RunningConsumer, startConsumer } from '@credit/events';
import type { FastifyInstance } from 'fastify';
import { querySchemaName } from '../db/schema.ts';
import {
  applyIngestChanges,
  applyListChanges,
  applyRepairChanges,
  exchangeIngestName,
  exchangeIngestTypes,
  exchangeListName,
  exchangeListTypes,
  exchangeRepairName,
  exchangeRepairTypes,
} from './consumers/exchange-log.ts';
import {
  type ExchangeSettings,
  type SenderDependencies,
  sendExchangeBatches,
} from './domain/exchange-sender.ts';

export interface ExchangeSender {
  /** One round now: cut due batches and attempt them (the loop does it on its own schedule). */
  run(): Promise<number>;
  /** Runs a round soon, without waiting for the next tick (after a replay). */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

/** The sender's loop: rounds never overlap, failures are logged by name and retried next tick. */
export function createExchangeSender(
  app: FastifyInstance,
  deps: SenderDependencies,
  settings: ExchangeSettings,
): ExchangeSender {
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const round = () => {
    running = running
      .then(() => sendExchangeBatches(deps, settings))
      .catch((error: unknown) =>
        app.log.warn({ errorName: (error as Error).name }, 'exchange sending failed; will retry'),
      );
    return running;
  };
  return {
    run: async () => {
      await running;
      return sendExchangeBatches(deps, settings);
    },
    wake: () => {
      if (timer) void round();
    },
    start: () => {
      timer = setInterval(round, settings.pollMs);
    },
    stop: async () => {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

/** The consumers that append public changes to the exchange log, one per feed followed. */
export async function startExchangeConsumers(
  app: FastifyInstance,
  options: { idleMs: number; followSanctions: boolean },
): Promise<Map<string, RunningConsumer>> {
  const started = new Map<string, RunningConsumer>();
  const common = {
    handle: app.database,
    cursorSchema: querySchemaName,
    idleMs: options.idleMs,
    logger: app.log,
  };
  started.set(
    exchangeIngestName,
    await startConsumer({
      ...common,
      source: 'ingest',
      name: exchangeIngestName,
      types: exchangeIngestTypes,
      apply: applyIngestChanges,
    }),
  );
  if (options.followSanctions)
    started.set(
      exchangeListName,
      await startConsumer({
        ...common,
        source: 'sanctions',
        name: exchangeListName,
        types: exchangeListTypes,
        apply: applyListChanges,
      }),
    );
  started.set(
    exchangeRepairName,
    await startConsumer({
      ...common,
      source: 'repair',
      name: exchangeRepairName,
      types: exchangeRepairTypes,
      apply: applyRepairChanges,
    }),
  );
  return started;
}
