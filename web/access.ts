/**
 * Who may use a peer's chat window: whoever opened the address the peer
 * printed, in that one browser tab.
 *
 * Cookies cannot carry this: browsers send a host's cookies to every port of
 * it, so any other local server the browser visits would receive them. So the
 * printed address holds a one-time **launch secret**; opening it trades the
 * secret for a **session token** that lives only in the tab (the page keeps it
 * in `sessionStorage`, which is per origin and so per port) and is sent by the
 * page itself on each request — as `Authorization: Bearer` from the script, as
 * a hidden form field without it. Nothing the browser attaches by itself
 * (cookies, Basic auth, referrers) ever admits anyone. Why, and what it does
 * not cover: docs/SECURITY.md.
 */

import { hostChecker, newToken } from "../http/mod.ts";

/** How long a session lasts without a request: the script's live stream keeps it busy. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Sessions kept at once; the longest idle goes first. */
export const MAX_SESSIONS = 32;
/** Form submissions remembered per session, so a re-posted form does not send twice. */
const FORMS_REMEMBERED = 200;

/** Options for {@linkcode WebAccess}. */
export interface WebAccessOptions {
  /** The first launch secret (tests choose it); default random. */
  launchSecret?: string;
  /** Called with each new launch secret, once the previous one was used. */
  onLaunchSecret?: (secret: string) => void;
  idleMs?: number;
  /** Clock, for tests of expiry. */
  now?: () => number;
}

interface Session {
  lastUsedAt: number;
  /** Nonces of the forms already submitted, oldest first. */
  forms: Set<string>;
}

/** The access rules for one chat window server. */
export class WebAccess {
  readonly #allowedHost: (host: string | undefined) => boolean;
  readonly #origins: Set<string>;
  readonly #onLaunchSecret: (secret: string) => void;
  readonly #idleMs: number;
  readonly #now: () => number;
  /** By SHA-256 of the token, so a lookup's timing says nothing about the token. */
  readonly #sessions = new Map<string, Session>();
  #launchSecret: string;
  #launchDigest: Promise<string>;

  constructor(hostname: string, port: number, options: WebAccessOptions = {}) {
    this.#allowedHost = hostChecker(hostname, port);
    const names = new Set([hostname, "127.0.0.1", "localhost", "[::1]"]);
    if (hostname === "0.0.0.0" || hostname === "::") names.delete(hostname);
    this.#origins = new Set([...names].map((name) => `http://${name}:${port}`));
    this.#onLaunchSecret = options.onLaunchSecret ?? (() => {});
    this.#idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.#now = options.now ?? Date.now;
    this.#launchSecret = options.launchSecret ?? newToken();
    this.#launchDigest = digest(this.#launchSecret);
  }

  /** The secret the printed address carries now; it opens one window, once. */
  get launchSecret(): string {
    return this.#launchSecret;
  }

  isAllowedHost(host: string | undefined): boolean {
    return this.#allowedHost(host);
  }

  /** True if `origin` is this window itself (a POST from any other page is refused). */
  isOwnOrigin(origin: string | undefined, host: string | undefined): boolean {
    if (!origin) return false;
    return this.#origins.has(origin) || (host !== undefined && origin === `http://${host}`);
  }

  /**
   * Trades the launch secret for a new session token, and issues the next
   * launch secret. Returns `undefined` for a wrong or already used secret.
   */
  async open(presented: string | undefined): Promise<string | undefined> {
    if (presented === undefined) return undefined;
    const expected = this.#launchDigest;
    if (await digest(presented) !== await expected) return undefined;
    if (this.#launchDigest !== expected) return undefined; // two tabs raced for one secret
    this.#launchSecret = newToken();
    this.#launchDigest = digest(this.#launchSecret);
    this.#onLaunchSecret(this.#launchSecret);
    const token = newToken();
    this.#sessions.set(await digest(token), { lastUsedAt: this.#now(), forms: new Set() });
    this.#trim();
    return token;
  }

  /** True if `token` is a live session; counts as use, so it stays alive. */
  async admits(token: string | undefined): Promise<boolean> {
    return await this.#find(token) !== undefined;
  }

  /**
   * Records a form submission `nonce` of the session `token`. False if that
   * form was submitted before (the browser re-posted it), or the token is not
   * a live session.
   */
  async firstSubmission(token: string | undefined, nonce: string): Promise<boolean> {
    const session = await this.#find(token);
    if (!session || session.forms.has(nonce)) return false;
    session.forms.add(nonce);
    if (session.forms.size > FORMS_REMEMBERED) {
      session.forms.delete(session.forms.values().next().value!);
    }
    return true;
  }

  /** Live sessions now. */
  get sessionCount(): number {
    this.#trim();
    return this.#sessions.size;
  }

  async #find(token: string | undefined): Promise<Session | undefined> {
    if (!token) return undefined;
    this.#trim();
    const session = this.#sessions.get(await digest(token));
    if (session) session.lastUsedAt = this.#now();
    return session;
  }

  #trim(): void {
    const now = this.#now();
    for (const [key, session] of this.#sessions) {
      if (now - session.lastUsedAt > this.#idleMs) this.#sessions.delete(key);
    }
    while (this.#sessions.size > MAX_SESSIONS) {
      const idlest = [...this.#sessions].sort((a, b) => a[1].lastUsedAt - b[1].lastUsedAt)[0];
      this.#sessions.delete(idlest[0]);
    }
  }
}

async function digest(text: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return new Uint8Array(hash).toHex();
}
