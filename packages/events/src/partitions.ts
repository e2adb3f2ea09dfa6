import { type Executor, type Partition, type PartitionedTable, resultRows } from '@credit/db';
import { sql } from 'drizzle-orm';

/**
 * How an outbox (`<schema>.events`, partitioned by month of created_at) is kept: months created
 * three ahead, and, when `retentionDays` is set, a month detached once it is that many days past
 * and every reader of the feed has moved its cursor beyond the month's last event. Readers keep
 * their cursors in `event_cursors` tables of their own schemas, the feed's acknowledgements, so
 * the keeper reads every such table for this source. A reader that has never run has no cursor
 * and cannot hold a month back: a read model added later starts from what the feed still holds
 * (docs/scaling.md).
 */
export function outboxPartitions(schemaName: string, retentionDays?: number): PartitionedTable {
  return {
    schema: schemaName,
    table: 'events',
    by: { kind: 'month', ahead: 3 },
    ...(retentionDays === undefined
      ? {}
      : {
          retention: {
            afterDays: retentionDays,
            holdBack: (db, partition) => readerBehind(db, schemaName, partition),
          },
        }),
  };
}

async function readerBehind(db: Executor, source: string, partition: Partition): Promise<string | null> {
  const [last] = resultRows<{ tx_id: string; seq: string | number }>(
    await db.execute(sql`
      SELECT tx_id::text AS tx_id, seq FROM ${sql.raw(`"${partition.schema}"."${partition.name}"`)}
      ORDER BY tx_id DESC, seq DESC LIMIT 1`),
  );
  if (!last) return null;
  const schemas = resultRows<{ schema: string }>(
    await db.execute(sql`
      SELECT table_schema AS schema FROM information_schema.tables
      WHERE table_name = 'event_cursors' ORDER BY table_schema`),
  );
  for (const { schema } of schemas) {
    const [behind] = resultRows<{ consumer: string }>(
      await db.execute(sql`
        SELECT consumer FROM ${sql.raw(`"${schema}"."event_cursors"`)}
        WHERE source = ${source} AND (tx_id, seq) < (${last.tx_id}::xid8, ${String(last.seq)}::bigint)
        ORDER BY consumer LIMIT 1`),
    );
    if (behind) return `the reader ${schema}.${behind.consumer} has not passed it yet`;
  }
  return null;
}
