import { openDatabase } from '@credit/db';
import { ListingCache } from '../services/sanctions/src/domain/listing-cache.ts';

export interface CacheFootprint {
  subjects: number;
  bytesPerSubject: number;
  loadSeconds: number;
}

function collect(): void {
  // Started with --expose-gc (npm run bench); without it the figure includes garbage.
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * What the sanctions listing cache costs: the heap it takes once loaded from the database, per
 * subject it holds (subjects with a published entry), and how long the load took.
 */
export async function measureCacheFootprint(url: string): Promise<CacheFootprint> {
  const handle = await openDatabase({ kind: 'postgres', url, poolSize: 2 });
  try {
    const cache = new ListingCache(handle, 60_000);
    collect();
    const before = process.memoryUsage().heapUsed;
    const started = Date.now();
    await cache.start();
    const loadSeconds = (Date.now() - started) / 1000;
    collect();
    const after = process.memoryUsage().heapUsed;
    await cache.stop();
    return {
      subjects: cache.subjects,
      bytesPerSubject: cache.subjects ? (after - before) / cache.subjects : 0,
      loadSeconds,
    };
  } finally {
    await handle.close();
  }
}
