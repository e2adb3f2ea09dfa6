import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from './address-ranges.ts';
import { type AllowedHost, isAllowedHost, normaliseHost } from './allowed-hosts.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name resolution, replaceable in tests (DNS is a true boundary). */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const resolveWithSystem: ResolveHost = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => ({
    address: entry.address,
    family: entry.family === 6 ? 6 : 4,
  }));

export type OutboundRefusalReason = 'scheme_not_allowed' | 'address_not_allowed' | 'unresolvable';

/** A call the guard will not make; `reason` is stable, the message says why in words. */
export class OutboundRefusal extends Error {
  override name = 'OutboundRefusal';
  constructor(
    readonly reason: OutboundRefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** A URL that passed the checks, and the address a call to it must connect to. */
export interface VettedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
  /** Named in OUTBOUND_ALLOWED_HOSTS: reachable inside the network and over plain http. */
  allowedByName: boolean;
}

export interface OutboundPost {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Read up to this many bytes of the answer's body (an acknowledgement); unset or 0 discards it. */
  answerLimit?: number;
}

export interface OutboundGuardOptions {
  allowedHosts: readonly AllowedHost[];
  resolveHost?: ResolveHost;
}

/**
 * The one way the platform calls an address a caller gave it. `vet` answers whether a URL may
 * be called (at registration); `post` vets it again and connects to exactly the address it
 * checked, so a name that resolves elsewhere by the time of the call (DNS rebinding) cannot
 * steer the call inside. Redirects are answers, never followed.
 */
export class OutboundGuard {
  readonly #allowedHosts: readonly AllowedHost[];
  readonly #resolveHost: ResolveHost;

  constructor(options: OutboundGuardOptions) {
    this.#allowedHosts = options.allowedHosts;
    this.#resolveHost = options.resolveHost ?? resolveWithSystem;
  }

  async vet(target: string | URL): Promise<VettedTarget> {
    const url = new URL(target);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new OutboundRefusal('scheme_not_allowed', 'only https URLs can receive calls');
    const allowedByName = isAllowedHost(this.#allowedHosts, url);
    if (!allowedByName && url.protocol !== 'https:')
      throw new OutboundRefusal(
        'scheme_not_allowed',
        'receivers must use https unless the operator named the host in OUTBOUND_ALLOWED_HOSTS',
      );
    const addresses = await this.#addressesOf(normaliseHost(url.hostname));
    const first = addresses[0];
    if (!first) throw new OutboundRefusal('unresolvable', `the host ${url.hostname} has no address`);
    if (!allowedByName && !addresses.every((a) => isPublicAddress(a.address)))
      throw new OutboundRefusal(
        'address_not_allowed',
        `the host ${url.hostname} resolves to a loopback, private, link-local or otherwise internal address`,
      );
    return { url, address: first.address, family: first.family, allowedByName };
  }

  /**
   * POSTs a body; resolves with the receiver's status (a 3xx included) and, when asked, the first
   * `answerLimit` bytes of its answer; rejects on refusal, network failure or the time-out (which
   * covers reading the answer).
   */
  async post(target: string | URL, call: OutboundPost): Promise<{ status: number; answer?: string }> {
    const vetted = await this.vet(target);
    const pinned: LookupFunction = (_hostname, options, callback) => {
      // Node asks for every address when it may race IPv4 and IPv6 (autoSelectFamily).
      if (options.all) callback(null, [{ address: vetted.address, family: vetted.family }]);
      else callback(null, vetted.address, vetted.family);
    };
    const send = vetted.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return await new Promise((resolve, reject) => {
      const request = send(
        vetted.url,
        {
          method: 'POST',
          headers: { ...call.headers, 'content-length': String(Buffer.byteLength(call.body)) },
          lookup: pinned,
          agent: false,
          signal: AbortSignal.timeout(call.timeoutMs),
        },
        (response) => {
          const status = response.statusCode ?? 0;
          const limit = call.answerLimit ?? 0;
          if (limit <= 0) {
            response.resume();
            resolve({ status });
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (size >= limit) return;
            chunks.push(chunk.subarray(0, limit - size));
            size += Math.min(chunk.length, limit - size);
          });
          response.on('end', () => resolve({ status, answer: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(call.body);
    });
  }

  async #addressesOf(hostname: string): Promise<readonly ResolvedAddress[]> {
    const literal = isIP(hostname);
    if (literal !== 0) return [{ address: hostname, family: literal === 6 ? 6 : 4 }];
    try {
      return await this.#resolveHost(hostname);
    } catch {
      throw new OutboundRefusal('unresolvable', `the host ${hostname} does not resolve`);
    }
  }
}
