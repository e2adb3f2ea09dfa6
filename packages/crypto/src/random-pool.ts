import { randomBytes } from 'node:crypto';

/**
 * Small random values (salts, nonces, id suffixes) drawn from a block of CSPRNG output fetched
 * at once: asking the generator for 12 or 16 bytes at a time cost more than the AES and SHA
 * work around it on the ingest path. Every byte is handed out once and copied, so no caller
 * shares memory with another or with the pool.
 */
const blockSize = 16 * 1024;
let block: Buffer = Buffer.alloc(0);
let offset = 0;

export function freshRandomBytes(length: number): Buffer {
  if (length > 256) return randomBytes(length);
  if (offset + length > block.length) {
    block = randomBytes(blockSize);
    offset = 0;
  }
  const out = Buffer.allocUnsafe(length);
  block.copy(out, 0, offset, offset + length);
  // The handed-out bytes are wiped from the pool, so a later dump of it cannot reveal them.
  block.fill(0, offset, offset + length);
  offset += length;
  return out;
}
