/**
 * The network an address belongs to, for limits that one attacker must not
 * dodge by using many addresses of the same allocation: an IPv4 /24 or an
 * IPv6 /64 (one subscriber's prefix) by default.
 */

/** Prefix lengths that group addresses into one network. */
export interface NetworkPrefixes {
  /** Bits of an IPv4 address that name its network. Default 24. */
  ipv4: number;
  /** Bits of an IPv6 address that name its network. Default 64. */
  ipv6: number;
}

export const DEFAULT_NETWORK_PREFIXES: NetworkPrefixes = { ipv4: 24, ipv6: 64 };

/**
 * `ip`'s network as CIDR text: `203.0.113.0/24`, `2001:db8:1:2::/64`. An
 * IPv4-mapped IPv6 address counts as IPv4. Anything unparsable is its own
 * network (it cannot be grouped, so it is limited alone).
 */
export function networkOf(
  ip: string,
  prefixes: NetworkPrefixes = DEFAULT_NETWORK_PREFIXES,
): string {
  const v4 = ip.replace(/^::ffff:(?=\d+\.)/i, "");
  const octets = v4.split(".").map(Number);
  if (octets.length === 4 && octets.every((o) => Number.isInteger(o) && o >= 0 && o <= 255)) {
    const value = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
    const bits = prefixes.ipv4;
    const masked = bits === 0 ? 0 : (value & (~0 << (32 - bits))) >>> 0;
    const text = [24, 16, 8, 0].map((shift) => (masked >>> shift) & 255).join(".");
    return `${text}/${bits}`;
  }
  const groups = expandIpv6(ip);
  if (!groups) return ip;
  const bits = prefixes.ipv6;
  const kept = groups.map((group, i) => {
    const start = i * 16;
    if (start >= bits) return 0;
    if (start + 16 <= bits) return group;
    return group & (0xffff << (16 - (bits - start))) & 0xffff;
  });
  return `${kept.map((g) => g.toString(16)).join(":")}/${bits}`;
}

function expandIpv6(ip: string): number[] | null {
  const text = ip.replace(/%.*$/, "");
  if (!/^[0-9a-f:]+$/i.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => part === "" ? [] : part.split(":").map((g) => parseInt(g, 16));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const groups = [...head, ...new Array(missing).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}
