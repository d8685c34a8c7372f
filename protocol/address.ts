/** `HOST:PORT` text as people type it and as the protocol carries it. */

/** A host name or IP address with a TCP port. */
export interface HostPort {
  hostname: string;
  port: number;
}

/** Formats an address, bracketing IPv6 literals: `[::1]:7070`. */
export function formatHostPort(address: HostPort): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (host taken from
 * `defaultHost`). Throws `RangeError` with a message that quotes the input.
 */
export function parseHostPort(text: string, defaultHost?: string): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:\[\]]*)):(\d{1,5})$/.exec(text);
  const hostname = match?.[1] ?? match?.[2] ?? "";
  const port = Number(match?.[3]);
  if (!match || port > 65535 || (hostname === "" && defaultHost === undefined)) {
    throw new RangeError(
      `Invalid address ${JSON.stringify(text)}: expected HOST:PORT with a port from 0 to 65535`,
    );
  }
  return { hostname: hostname === "" ? defaultHost! : hostname, port };
}

/** True for addresses only this machine can reach. */
export function isLoopback(hostname: string): boolean {
  if (hostname === "localhost") return true;
  const ip = ipLiteral(hostname) ?? hostname;
  return ip === "::1" || /^127(\.\d{1,3}){3}$/.test(ip);
}

const IPV4 = /^(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}$/;

/**
 * The canonical text of an IP literal (`127.0.0.1`, `::1`; IPv4-mapped IPv6
 * unwrapped, IPv6 compressed and lower-cased), or undefined when `hostname`
 * is not one (a host name, a zone-scoped address, garbage). Two spellings of
 * one address give the same text.
 */
export function ipLiteral(hostname: string): string | undefined {
  if (IPV4.test(hostname)) {
    return hostname.split(".").every((octet) => Number(octet) <= 255) ? hostname : undefined;
  }
  // A zone (fe80::1%eth0) names this host's interface, not the address.
  const address = hostname.replace(/%[\w.-]+$/, "");
  if (!address.includes(":") || !/^[0-9a-fA-F:.]+$/.test(address)) return undefined;
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  // The URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * A connection's address as `HOST:PORT` with the host in canonical form (see
 * {@linkcode ipLiteral}): what a peer signs as the registry it reached, and
 * what the registry compares it with.
 */
export function formatNetAddr(address: HostPort): string {
  return formatHostPort({
    hostname: ipLiteral(address.hostname) ?? address.hostname,
    port: address.port,
  });
}

/** True for `0.0.0.0` and `::` (any address: nothing can dial it). */
export function isUnspecified(hostname: string): boolean {
  const ip = ipLiteral(hostname);
  return ip === "0.0.0.0" || ip === "::";
}

/**
 * Why a peer may not advertise `address` (publish it for others to dial
 * instead of the address the registry observes), or undefined if it may. It
 * must be an IP literal (a name would be resolved by each dialler, each its
 * own way), dialable (no `0.0.0.0`, no port 0), and not loopback unless
 * `loopbackAllowed` (the registry is on loopback too, so every dialler is on
 * this machine): a loopback address sends every other dialler to itself.
 */
export function advertiseProblem(
  address: HostPort,
  options: { loopbackAllowed: boolean },
): string | undefined {
  const text = formatHostPort(address);
  const ip = ipLiteral(address.hostname);
  if (ip === undefined) {
    return `${text} is not an IP address; advertise an IP literal (a name would be ` +
      `resolved by every dialler, each its own way)`;
  }
  if (address.port === 0) return "port 0 cannot be dialled";
  if (isUnspecified(ip)) return `${text} is the unspecified address; nobody can dial it`;
  if (!options.loopbackAllowed && isLoopback(ip)) {
    return `${text} is a loopback address, so every peer on another machine would dial itself; ` +
      `advertise loopback only to a registry on loopback`;
  }
  return undefined;
}
