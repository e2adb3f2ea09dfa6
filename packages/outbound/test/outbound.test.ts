import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isPublicAddress, OutboundGuard, OutboundRefusal, parseAllowedHosts } from '../src/index.ts';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.20.30.40',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.100.100.200',
    '0.0.0.0',
    '224.0.0.251',
    '255.255.255.255',
    '198.18.0.1',
    '::',
    '::1',
    'fe80::1%eth0',
    'fd00:ec2::254',
    'fc00::1',
    'ff02::1',
    '::ffff:10.0.0.1',
    '::ffff:7f00:1',
    '::127.0.0.1',
    '64:ff9b::7f00:1',
    '2002:c0a8:0101::1',
    '2001:db8::1',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['101.6.6.6', '8.8.8.8', '223.5.5.5', '2400:3200::1', '::ffff:101.6.6.6', '64:ff9b::808:808'])(
    'accepts %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});

describe('parseAllowedHosts', () => {
  it('reads hosts, host:port and bracketed IPv6, case-insensitively', () => {
    expect(parseAllowedHosts(' Receiver.Local:8443, 127.0.0.1 ,[::1]:9000,')).toEqual([
      { host: 'receiver.local', port: 8443 },
      { host: '127.0.0.1' },
      { host: '::1', port: 9000 },
    ]);
    expect(parseAllowedHosts(undefined)).toEqual([]);
  });

  it.each(['http://x', 'host:0', 'host:70000', 'a b', 'user@host'])('refuses %s', (entry) => {
    expect(() => parseAllowedHosts(entry)).toThrow(entry);
  });
});

describe('OutboundGuard.post', () => {
  it('connects to the address it checked, whatever the name resolves to afterwards', async () => {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    let lookups = 0;
    const guard = new OutboundGuard({
      allowedHosts: parseAllowedHosts(`receiver.test:${port}`),
      // The first answer is the one checked; a second, different answer must never be used.
      resolveHost: async () => (lookups++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : []),
    });
    try {
      const answer = await guard.post(`http://receiver.test:${port}/hook`, {
        headers: { 'content-type': 'application/json' },
        body: '{}',
        timeoutMs: 5000,
      });
      expect(answer.status).toBe(204);
      expect(lookups).toBe(1);
    } finally {
      server.close();
    }
  });

  it('refuses before connecting when the name resolves inside', async () => {
    const guard = new OutboundGuard({
      allowedHosts: [],
      resolveHost: async () => [{ address: '10.0.0.7', family: 4 }],
    });
    const refused = await guard
      .post('https://hooks.example.cn/x', { headers: {}, body: '', timeoutMs: 1000 })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OutboundRefusal);
    expect((refused as OutboundRefusal).reason).toBe('address_not_allowed');
  });
});
