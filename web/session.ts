/**
 * Who may use a peer's web UI: whoever opened the URL the peer printed. The
 * secret in that URL becomes an HttpOnly, SameSite=Strict cookie; every
 * request needs it, every POST must also come from our own origin, and a
 * request under any other Host name is refused (DNS rebinding). Other local
 * users and other web pages can neither read nor send.
 */

import { hostChecker, newToken, tokenMatches } from "../http/mod.ts";

/** A fresh per-launch secret, base64url. */
export const newSecret: () => string = newToken;

/** The access rules for one web UI instance. */
export class WebSession {
  readonly secret: string;
  /** Cookie name; includes the port, since cookies are shared across ports of a host. */
  readonly cookieName: string;
  readonly #origins: Set<string>;
  readonly #allowedHost: (host: string | undefined) => boolean;

  constructor(hostname: string, port: number, secret = newSecret()) {
    this.secret = secret;
    this.cookieName = `p2pchat_${port}`;
    this.#allowedHost = hostChecker(hostname, port);
    const names = new Set([hostname, "127.0.0.1", "localhost", "[::1]"]);
    if (hostname === "0.0.0.0" || hostname === "::") names.delete(hostname);
    this.#origins = new Set([...names].map((name) => `http://${name}:${port}`));
  }

  isAllowedHost(host: string | undefined): boolean {
    return this.#allowedHost(host);
  }

  /** True if `origin` is this UI itself (a POST from any other page is refused). */
  isOwnOrigin(origin: string | undefined, host: string | undefined): boolean {
    if (!origin) return false;
    return this.#origins.has(origin) || (host !== undefined && origin === `http://${host}`);
  }

  /** Checks a presented secret in constant time. */
  async accepts(presented: string | undefined): Promise<boolean> {
    return presented !== undefined && await tokenMatches(presented, this.secret);
  }

  /** The Set-Cookie value that admits this browser. */
  cookie(): string {
    return `${this.cookieName}=${this.secret}; HttpOnly; SameSite=Strict; Path=/`;
  }
}
