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
  return hostname === "localhost" || hostname === "::1" || /^127(\.\d{1,3}){3}$/.test(hostname);
}
