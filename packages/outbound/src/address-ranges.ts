import { BlockList, isIP } from 'node:net';

/**
 * Ranges no outbound call may reach: the platform's own host and network, the cloud metadata
 * services (169.254.169.254; Alibaba Cloud's 100.100.100.200 sits in carrier-grade NAT space),
 * and addresses that are not unicast on the public Internet.
 */
const ipv4Ranges: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (cloud metadata services live here too)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

const ipv6Ranges: ReadonlyArray<readonly [string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo among them)
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique-local (AWS's IPv6 metadata fd00:ec2::254 among them)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed inside some networks)
  ['ff00::', 8], // multicast
];

const forbidden = new BlockList();
for (const [network, prefix] of ipv4Ranges) forbidden.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of ipv6Ranges) forbidden.addSubnet(network, prefix, 'ipv6');

/** The sixteen bytes of an IPv6 address (which `isIP` has accepted), dotted-quad tails included. */
function ipv6Bytes(address: string): Uint8Array {
  const bare = address.replace(/%.*$/, '');
  const [head = '', tail] = bare.split('::') as [string, string | undefined];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((group) => {
      if (!group.includes('.')) return [Number.parseInt(group, 16)];
      const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

const dotted = (bytes: Uint8Array, from: number) => Array.from(bytes.subarray(from, from + 4)).join('.');

/**
 * IPv4 addresses an IPv6 address carries and a network may route to: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002:a.b.c.d::/48).
 */
function embeddedIpv4(address: string): string[] {
  const bytes = ipv6Bytes(address);
  const zeros = (from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);
  const found: string[] = [];
  if (zeros(0, 10) && ((bytes[10] === 0xff && bytes[11] === 0xff) || zeros(10, 12)))
    found.push(dotted(bytes, 12));
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12))
    found.push(dotted(bytes, 12));
  if (bytes[0] === 0x20 && bytes[1] === 0x02) found.push(dotted(bytes, 2));
  return found;
}

/**
 * Whether an outbound call may connect to this address: false for anything inside the
 * platform's networks or not publicly routable, and for anything that is not an IP address.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) return !forbidden.check(address, 'ipv4');
  if (family !== 6) return false;
  const bare = address.replace(/%.*$/, '');
  if (forbidden.check(bare, 'ipv6')) return false;
  return embeddedIpv4(bare).every((v4) => !forbidden.check(v4, 'ipv4'));
}
