/**
 * Hole punching, the second path: TCP simultaneous open through two NATs,
 * timed by the registry in the shape of libp2p's DCUtR. The dialler asks the
 * registry (`punch_request`); the registry sends both peers `punch_now` at
 * the same moment with the other's address as it observes it (the NAT
 * mapping of the other's punch port) and a delay; each waits that delay,
 * less half its round trip to the registry, and connects from its own punch
 * port. Each NAT then sees its host's SYN go out before the other's arrives,
 * takes the arriving SYN for an answer, and both connects complete as one
 * TCP connection. Up to three tries; the requester reports each outcome
 * (`punch_result`) so the registry can count them.
 *
 * Both sockets are outbound, so neither is "the listener": the handshake
 * roles are decided by the IDs (see {@linkcode punchInitiator}).
 */

import { DeadlineError, within } from "../../async/mod.ts";
import type { Logger } from "../../log/mod.ts";
import {
  newRendezvousId,
  parseHostPort,
  type PeerInfo,
  type PunchFailedMessage,
  type PunchNowMessage,
  type PunchOutcome,
  shortId,
} from "../../protocol/mod.ts";
import { PathFailure } from "./link_paths.ts";
import type { PunchPort } from "./punch_port.ts";
import { type Rendezvous, RendezvousUnavailable } from "./rendezvous.ts";
import type { SocketConnection } from "./socket_connection.ts";

/** Options for {@linkcode HolePuncher}. */
export interface HolePuncherOptions {
  port: PunchPort;
  rendezvous: Rendezvous;
  logger: Logger;
  /** Whether to take part in tries other peers ask for (else they are declined). */
  answer: boolean;
  /** A try another peer asked for connected: the link pool secures it. */
  incoming(conn: SocketConnection, peerId: string): void;
  /** Tries per punch. Default 3. */
  tries?: number;
  /** How long one try's connect may take. Default 800 ms. */
  tryMs?: number;
  /** How long to wait for the registry to arrange a try. Default 2 s. */
  arrangeMs?: number;
}

/** The registry said no to a try. */
class NotArranged extends Error {}

/**
 * Which side of a punched connection runs the dialler's half of the
 * handshake: the peer with the lower ID. Both can work it out alone.
 */
export function punchInitiator(ownId: string, otherId: string): boolean {
  return ownId < otherId;
}

/** Makes punched connections, asked for here or by other peers. */
export class HolePuncher {
  readonly #options: HolePuncherOptions;
  readonly #waiting = new Map<string, PromiseWithResolvers<PunchNowMessage>>();
  readonly #answering = new Set<Promise<void>>();

  constructor(options: HolePuncherOptions) {
    this.#options = options;
  }

  /**
   * Punches through to `peer`: resolves with the connected socket or throws
   * {@linkcode PathFailure} after the last try.
   */
  async punch(peer: PeerInfo): Promise<SocketConnection> {
    const tries = this.#options.tries ?? 3;
    const failures: string[] = [];
    for (let attempt = 1; attempt <= tries; attempt++) {
      const punch = newRendezvousId();
      let now: PunchNowMessage;
      try {
        now = await this.#arrange(punch, peer.id);
      } catch (error) {
        if (error instanceof NotArranged || error instanceof RendezvousUnavailable) {
          throw new PathFailure("punch", `no hole punch to ${peer.name}: ${error.message}`);
        }
        throw error;
      }
      try {
        const conn = await this.#dial(now);
        this.#report(punch, "connected");
        return conn;
      } catch (error) {
        if (!isDialFailure(error)) throw error;
        this.#report(punch, "failed");
        failures.push((error as Error).message);
      }
    }
    throw new PathFailure(
      "punch",
      `hole punching to ${peer.name} failed ${tries} times (${failures.at(-1)})`,
    );
  }

  /** A punch message from the registry. */
  handle(message: PunchNowMessage | PunchFailedMessage): void {
    const waiter = this.#waiting.get(message.punch);
    if (waiter) {
      this.#waiting.delete(message.punch);
      if (message.type === "punch_now") waiter.resolve(message);
      else waiter.reject(new NotArranged(`the registry answered "${message.reason}"`));
      return;
    }
    if (message.type === "punch_failed") return; // a try we gave up on already
    if (!this.#options.answer) {
      this.#report(message.punch, "declined");
      return;
    }
    const answering = this.#dial(message).then(
      (conn) => this.#options.incoming(conn, message.peer),
      (error) => {
        if (!isDialFailure(error)) throw error;
        this.#options.logger.debug("hole punch from peer failed", {
          peer: shortId(message.peer),
          reason: (error as Error).message,
        });
      },
    ).catch((error) => {
      this.#options.logger.error("hole punch failed", { error: String(error) });
    }).finally(() => this.#answering.delete(answering));
    this.#answering.add(answering);
  }

  /** The registry connection is gone: tries waiting for it fail now. */
  lost(): void {
    for (const waiter of this.#waiting.values()) waiter.reject(new RendezvousUnavailable());
    this.#waiting.clear();
  }

  /** Waits for the tries other peers asked for to finish. */
  async close(): Promise<void> {
    this.lost();
    while (this.#answering.size > 0) await Promise.all(this.#answering);
  }

  async #arrange(punch: string, to: string): Promise<PunchNowMessage> {
    const waiter = Promise.withResolvers<PunchNowMessage>();
    waiter.promise.catch(() => {});
    this.#waiting.set(punch, waiter);
    try {
      await this.#options.rendezvous.send({ type: "punch_request", punch, to });
      return await within(waiter.promise, this.#options.arrangeMs ?? 2000, "answer to a punch");
    } catch (error) {
      if (error instanceof DeadlineError) throw new NotArranged(error.message);
      throw error;
    } finally {
      this.#waiting.delete(punch);
    }
  }

  /** Waits for the agreed moment, then connects from the punch port. */
  async #dial(now: PunchNowMessage): Promise<SocketConnection> {
    const target = parseHostPort(now.address);
    // Both messages left the registry together; each side arrives about
    // half its round trip later, so subtracting that lines the SYNs up.
    const wait = Math.max(0, now.delayMs - this.#options.rendezvous.roundTripMs / 2);
    await new Promise((resolve) => setTimeout(resolve, wait));
    return await this.#options.port.connectPeer(target, this.#options.tryMs ?? 800);
  }

  #report(punch: string, outcome: PunchOutcome): void {
    this.#options.rendezvous.send({ type: "punch_result", punch, outcome }).catch(() => {
      // Only a counter on the registry; nothing to do if it is gone.
    });
  }
}

/** Errors that only mean this try's connect did not get through. */
function isDialFailure(error: unknown): boolean {
  return error instanceof DeadlineError || error instanceof RangeError ||
    Object.values(Deno.errors).some((kind) => error instanceof kind);
}
