import { asBuffer, type Executor, resultRows } from '@credit/db';
import {
  type MapNode,
  type MapNodeReader,
  type MapPosition,
  positionId,
  type StoredMapNode,
} from '@credit/transparency';
import { sql } from 'drizzle-orm';
import { mapNodes } from '../db/schema.ts';

interface NodeRow {
  depth: number;
  prefix: Buffer | Uint8Array;
  node_kind: 'leaf' | 'branch';
  hash: Buffer | Uint8Array;
  leaf_key: Buffer | Uint8Array | null;
  value_hash: Buffer | Uint8Array | null;
}

/**
 * The access map's nodes in `ingest.map_nodes`, read as of a revision (a checkpoint's tree size).
 * Positions travel as hex text arrays: one statement per round trip whatever the number of
 * positions, on both drivers.
 */
export function mapNodeReader(db: Executor): MapNodeReader {
  return {
    async read(positions: readonly MapPosition[], revision?: number) {
      const out = new Map<string, MapNode>();
      if (positions.length === 0) return out;
      const prefixes = positions.map((p) => p.prefix.toString('hex'));
      const depths = positions.map((p) => p.depth);
      const limit = revision ?? Number.MAX_SAFE_INTEGER;
      const rows = resultRows<NodeRow>(
        await db.execute(sql`
          SELECT DISTINCT ON (n.depth, n.prefix) n.depth, n.prefix, n.node_kind, n.hash, n.leaf_key, n.value_hash
          FROM unnest(${sql.param(prefixes)}::text[], ${sql.param(depths)}::int[]) AS wanted(prefix_hex, depth)
          JOIN ingest.map_nodes n ON n.prefix = decode(wanted.prefix_hex, 'hex') AND n.depth = wanted.depth
          WHERE n.revision <= ${limit}
          ORDER BY n.depth, n.prefix, n.revision DESC`),
      );
      for (const row of rows) {
        const position = { depth: Number(row.depth), prefix: asBuffer(row.prefix) };
        const node: MapNode =
          row.node_kind === 'leaf'
            ? {
                kind: 'leaf',
                key: asBuffer(row.leaf_key as Buffer),
                valueHash: asBuffer(row.value_hash as Buffer),
                hash: asBuffer(row.hash),
              }
            : { kind: 'branch', hash: asBuffer(row.hash) };
        out.set(positionId(position), node);
      }
      return out;
    },
  };
}

export async function writeMapNodes(
  tx: Executor,
  nodes: readonly StoredMapNode[],
  revision: number,
): Promise<void> {
  for (let offset = 0; offset < nodes.length; offset += 2000) {
    await tx.insert(mapNodes).values(
      nodes.slice(offset, offset + 2000).map((n) => ({
        depth: n.depth,
        prefix: n.prefix,
        revision,
        nodeKind: n.node.kind,
        hash: n.node.hash,
        leafKey: n.node.kind === 'leaf' ? n.node.key : null,
        valueHash: n.node.kind === 'leaf' ? n.node.valueHash : null,
      })),
    );
  }
}
