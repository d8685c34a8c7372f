/**
 * Defences shared by the registry's dashboard and a peer's web UI: which
 * `Host` headers they answer (against DNS rebinding), random tokens and their
 * constant-time check, and the response headers that keep pages from being
 * framed or fed foreign scripts.
 */

import { isLoopback } from "../protocol/mod.ts";

/** A random secret token: 32 bytes, base64url. */
export function newToken(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/**
 * Compares a presented token with the real one in time that does not depend
 * on where they differ. Both are hashed first, so the comparison always
 * covers 32 bytes and not even the length leaks.
 */
export async function tokenMatches(presented: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i];
  return difference === 0;
}

/** The bearer token in an `Authorization` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * The secret in an `Authorization` header: a bearer token, or the password
 * of HTTP Basic authentication (what a browser's login prompt sends; the user
 * name is ignored).
 */
export function presentedSecret(header: string | undefined): string | undefined {
  const bearer = bearerToken(header);
  if (bearer !== undefined) return bearer;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!basic) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(Uint8Array.fromBase64(basic[1]));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * Decides which `Host` headers the dashboard bound at `hostname:port`
 * answers. A DNS-rebinding page reaches us under the attacker's host name, so
 * only the bound address, IP literals and `localhost` (with our port) pass.
 */
export function hostChecker(hostname: string, port: number): (host: string | undefined) => boolean {
  const wildcard = hostname === "0.0.0.0" || hostname === "::";
  return function isAllowedHost(host) {
    if (!host) return false;
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
    if (!match || Number(match[2] ?? 80) !== port) return false;
    const name = match[1].replace(/^\[|\]$/g, "");
    // Only IP literals count as loopback: "127.0.0.1.evil.example" is a name.
    if (name === hostname.toLowerCase() || name === "localhost") return true;
    if (isIpLiteral(name) && isLoopback(name)) return true;
    return wildcard && isIpLiteral(name);
  };
}

function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":");
}

/** Headers sent with every response. */
export const SECURITY_HEADERS: Record<string, string> = {
  // Scripts and styles come only from the registry itself; nothing inline.
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};
