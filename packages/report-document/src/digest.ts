import { sha256 } from '@credit/crypto';

/** The content digest of a report: SHA-256 of its canonical JSON, the text its signature covers. */
export function reportDigest(canonical: string): string {
  return sha256(canonical).toString('hex');
}

const codeAlphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/**
 * The short code printed on every page (XXXX-XXXX): 40 bits of the content digest in an alphabet
 * without 0/O and 1/I, so a recipient can type it from paper. It ties the number to the content:
 * a report with other content has another code.
 */
export function verificationCode(digestHex: string): string {
  const bytes = Buffer.from(digestHex.slice(0, 10), 'hex');
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let code = '';
  for (let i = 0; i < 8; i++) {
    code = codeAlphabet[Number(value & 31n)] + code;
    value >>= 5n;
  }
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** A code as typed (lower case, spaces, no hyphen) in its printed form. */
export function normaliseCode(typed: string): string {
  const plain = typed.toUpperCase().replace(/[^0-9A-Z]/g, '');
  return plain.length === 8 ? `${plain.slice(0, 4)}-${plain.slice(4)}` : plain;
}
