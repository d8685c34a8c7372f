/**
 * The machine's IPv4 LAN interfaces, as discovery needs them: which to send
 * and listen on, and whether an address is on one of their links (mDNS
 * answers only its own links, RFC 6762 §11).
 */

/** One IPv4 address of a non-loopback interface. */
export interface LanInterface {
  name: string;
  address: string;
  netmask: string;
}

/** Non-loopback IPv4 interface addresses (needs `--allow-sys`). */
export function lanInterfaces(): LanInterface[] {
  return Deno.networkInterfaces()
    .filter((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    .map(({ name, address, netmask }) => ({ name, address, netmask }));
}

/** True when `address` is on the same IPv4 subnet as `lan`. */
export function onLink(address: string, lan: LanInterface): boolean {
  const a = ipv4Number(address);
  const b = ipv4Number(lan.address);
  const mask = ipv4Number(lan.netmask);
  return a !== undefined && b !== undefined && mask !== undefined && ((a ^ b) & mask) === 0;
}

function ipv4Number(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value | 0;
}
