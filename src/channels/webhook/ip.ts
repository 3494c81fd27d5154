import { BlockList, isIP } from 'node:net';

/**
 * Why an IP address is no place to send a webhook: it is not on the public internet, so a URL
 * pointing there would let whoever sets a contact's webhook make dondoc call into its own network
 * (server-side request forgery): the database, Redis, the cloud's metadata service.
 */
export type RefusedRange =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmark'
  | 'unique-local'
  | 'site-local'
  | 'ipv4-mapped'
  | 'translated';

/** The ranges refused, IPv4 and IPv6 (IANA's special-purpose registries), with why. */
const RANGES: [RefusedRange, string, number, 'ipv4' | 'ipv6'][] = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['cgnat', '100.64.0.0', 10, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  // 169.254.169.254 is the metadata service of AWS, GCP, Azure and others.
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['documentation', '192.0.2.0', 24, 'ipv4'],
  ['reserved', '192.88.99.0', 24, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['benchmark', '198.18.0.0', 15, 'ipv4'],
  ['documentation', '198.51.100.0', 24, 'ipv4'],
  ['documentation', '203.0.113.0', 24, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['broadcast', '255.255.255.255', 32, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  // ::ffff:a.b.c.d reaches an IPv4 address through the IPv6 stack: refused whatever it embeds.
  ['ipv4-mapped', '::ffff:0:0', 96, 'ipv6'],
  ['ipv4-mapped', '::', 96, 'ipv6'],
  // NAT64 and 6to4 embed an IPv4 address too (possibly a private one).
  ['translated', '64:ff9b::', 96, 'ipv6'],
  ['translated', '64:ff9b:1::', 48, 'ipv6'],
  ['translated', '2002::', 16, 'ipv6'],
  ['reserved', '100::', 64, 'ipv6'],
  ['reserved', '2001::', 23, 'ipv6'],
  ['documentation', '2001:db8::', 32, 'ipv6'],
  ['documentation', '3fff::', 20, 'ipv6'],
  ['unique-local', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['site-local', 'fec0::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
];

/** Each range as a block list of its own, checked in the order above (::1 is loopback before it is ::/96). */
const LISTS = RANGES.map(([reason, network, prefix, family]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { reason, family, list };
});

/** Square brackets of an IPv6 URL host removed ("[::1]" → "::1"). */
export const bareHost = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Why `ip` is refused, or undefined when it is a public unicast address. Anything that is not an
 * IP address is refused as `reserved` (the caller resolves names first).
 */
export function refusedRange(ip: string): RefusedRange | undefined {
  const address = bareHost(ip);
  const family = isIP(address);
  if (family === 0) return 'reserved';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  // An address is checked against the ranges of its own family only: node's BlockList would match
  // an IPv4 range against the IPv4-mapped IPv6 form too, and that form is refused as mapped.
  for (const r of LISTS) if (r.family === type && r.list.check(address, type)) return r.reason;
  return undefined;
}
