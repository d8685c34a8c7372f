/**
 * A peer's link port is open to anyone, so it gets the registry's kind of
 * limits (the counters in `limits/`): new connections per second per IP,
 * handshakes in progress per IP and in all, a short deadline for the first
 * frame, and authenticated links per IP. Without them, 64 idle sockets
 * locked every incoming link out, and one identity could hold 3,000 links.
 * What a connection is refused for is said to it (`rate_limited`) before it
 * costs anything: no buffer, no key, no handshake.
 */

import { OpenCounter, TokenBuckets } from "../../limits/mod.ts";
import { ProtocolError } from "../../protocol/mod.ts";

/** The limits of one peer's link listener; each is a `p2pchat peer` flag. */
export interface LinkLimits {
  /** New connections one IP may open per second (`--link-connections-per-second`), bursts of twice that. */
  connectionsPerSecondPerIp: number;
  /** Handshakes in progress from one IP (`--max-pending-links-per-ip`). */
  pendingPerIp: number;
  /** Handshakes in progress in all (`--max-pending-links`). */
  pending: number;
  /** Time a new connection has to send its first frame, the hello (`--link-hello-ms`). */
  helloMs: number;
  /** Authenticated links dialled from one IP (`--max-links-per-ip`). */
  linksPerIp: number;
  /** A link with no frame either way for this long is closed (`--link-idle-ms`). */
  idleMs: number;
}

/** What a peer allows unless told otherwise. */
export const DEFAULT_LINK_LIMITS: Readonly<LinkLimits> = {
  connectionsPerSecondPerIp: 20,
  pendingPerIp: 8,
  pending: 64,
  helloMs: 2000,
  linksPerIp: 32,
  idleMs: 5 * 60_000,
};

/** Which limit refused a connection or a link: the key its log line is throttled by. */
export type LinkRefusal =
  | "connections_per_second"
  | "pending_per_ip"
  | "pending"
  | "links_per_ip";

/** A refusal by one of the listener's limits. */
export class LinkLimitError extends ProtocolError {
  readonly limit: LinkRefusal;
  constructor(limit: LinkRefusal, message: string) {
    super("rate_limited", message);
    this.name = this.constructor.name;
    this.limit = limit;
  }
}

/** Counts what each IP has open at the link listener, and refuses beyond the limits. */
export class LinkGate {
  readonly limits: Readonly<LinkLimits>;
  readonly #arrivals: TokenBuckets;
  readonly #pending: OpenCounter;
  readonly #links: OpenCounter;

  constructor(limits: Readonly<LinkLimits>) {
    this.limits = limits;
    this.#arrivals = new TokenBuckets(
      limits.connectionsPerSecondPerIp,
      limits.connectionsPerSecondPerIp * 2,
    );
    this.#pending = new OpenCounter(limits.pendingPerIp, limits.pending);
    this.#links = new OpenCounter(limits.linksPerIp);
  }

  /** Handshakes in progress now. */
  get pending(): number {
    return this.#pending.total;
  }

  /**
   * A connection from `ip` was accepted: it may start its handshake (one
   * pending slot taken, give it back with {@linkcode handshakeEnded}), or
   * here is why not.
   */
  admit(ip: string): LinkLimitError | null {
    if (!this.#arrivals.take(ip)) {
      return new LinkLimitError(
        "connections_per_second",
        `Too many new connections from ${ip}: ${this.limits.connectionsPerSecondPerIp} per second`,
      );
    }
    switch (this.#pending.open(ip)) {
      case "key":
        return new LinkLimitError(
          "pending_per_ip",
          `Too many links being opened from ${ip} (${this.limits.pendingPerIp}); finish those first`,
        );
      case "total":
        return new LinkLimitError(
          "pending",
          `Too many links are being opened at once (${this.limits.pending}); try again shortly`,
        );
    }
    return null;
  }

  /** The handshake of a connection {@linkcode admit} let in is over, either way. */
  handshakeEnded(ip: string): void {
    this.#pending.close(ip);
  }

  /** An authenticated link from `ip` wants to open: counted, or refused. */
  linkOpened(ip: string): LinkLimitError | null {
    if (this.#links.open(ip) === null) return null;
    return new LinkLimitError(
      "links_per_ip",
      `Too many links from ${ip} (${this.limits.linksPerIp})`,
    );
  }

  /** A link {@linkcode linkOpened} counted has closed. */
  linkClosed(ip: string): void {
    this.#links.close(ip);
  }
}
