/**
 * The registry's half of hole punching. Asked by one peer to reach another,
 * it sends both, at the same moment, `punch_now` with the other's address
 * as this registry observes it on the registry connection — which the peer
 * made from its punch port, so that address is the NAT mapping the other
 * must dial — and the same delay. It keeps each try for a while to count the
 * outcome the requester reports and to pass a target's refusal back.
 */

import type { PunchOutcome, PunchRequestMessage, PunchResultMessage } from "../../protocol/mod.ts";
import type { MeetingSession } from "./meeting_session.ts";

/** Punch tries by how they ended (`unavailable`: the registry could not arrange one). */
export type PunchStats = Record<PunchOutcome | "unavailable", number>;

/** Options for {@linkcode PunchBroker}. */
export interface PunchBrokerOptions {
  /** The session of an online peer, by ID. */
  sessionOf(peerId: string): MeetingSession | undefined;
  /** How far ahead both sides are told to dial. Default 100 ms. */
  delayMs?: number;
}

interface Try {
  requester: MeetingSession;
  target: MeetingSession;
  at: number;
}

/** Tries older than this are forgotten (their outcome is no longer counted). */
const TRY_MEMORY_MS = 30_000;
/** Tries one peer may have outstanding; more are answered `busy`. */
const MAX_TRIES_PER_PEER = 16;

/** Arranges hole punches between online peers. */
export class PunchBroker {
  readonly #options: PunchBrokerOptions;
  readonly #tries = new Map<string, Try>();
  /** Outstanding tries per requester. */
  readonly #outstanding = new Map<MeetingSession, number>();
  readonly #stats: PunchStats = { connected: 0, failed: 0, declined: 0, unavailable: 0 };

  constructor(options: PunchBrokerOptions) {
    this.#options = options;
  }

  get stats(): PunchStats {
    return { ...this.#stats };
  }

  /** `requester` asks for a try with `message.to`. */
  request(requester: MeetingSession, message: PunchRequestMessage): void {
    const now = performance.now();
    this.#forgetOld(now);
    const { punch } = message;
    const target = this.#options.sessionOf(message.to);
    const refuse = (reason: "offline" | "busy") => {
      this.#stats.unavailable++;
      requester.send({ type: "punch_failed", punch, reason });
    };
    if (!target || target === requester || requester.peerId === undefined) return refuse("offline");
    if (
      this.#tries.has(punch) || (this.#outstanding.get(requester) ?? 0) >= MAX_TRIES_PER_PEER
    ) {
      return refuse("busy");
    }
    this.#tries.set(punch, { requester, target, at: now });
    this.#outstanding.set(requester, (this.#outstanding.get(requester) ?? 0) + 1);
    const delayMs = this.#options.delayMs ?? 100;
    requester.send({
      type: "punch_now",
      punch,
      peer: message.to,
      address: target.observedAddress,
      delayMs,
    });
    target.send({
      type: "punch_now",
      punch,
      peer: requester.peerId,
      address: requester.observedAddress,
      delayMs,
    });
  }

  /** An outcome: counted when the requester reports it; a target's refusal goes back. */
  result(from: MeetingSession, message: PunchResultMessage): void {
    const found = this.#tries.get(message.punch);
    if (!found) return;
    if (from === found.target && message.outcome === "declined") {
      this.#forget(message.punch, found);
      this.#stats.declined++;
      found.requester.send({ type: "punch_failed", punch: message.punch, reason: "declined" });
    } else if (from === found.requester) {
      this.#forget(message.punch, found);
      this.#stats[message.outcome]++;
    }
  }

  /** Whether `session` has tries outstanding as a requester. */
  holds(session: MeetingSession): boolean {
    return this.#outstanding.has(session);
  }

  /** Forgets the tries `session` takes part in. */
  sessionEnded(session: MeetingSession): void {
    // Tries live for seconds, so this map is short: one pass is cheap.
    for (const [punch, found] of this.#tries) {
      if (found.requester === session || found.target === session) this.#forget(punch, found);
    }
  }

  #forget(punch: string, found: Try): void {
    this.#tries.delete(punch);
    const left = (this.#outstanding.get(found.requester) ?? 1) - 1;
    if (left <= 0) this.#outstanding.delete(found.requester);
    else this.#outstanding.set(found.requester, left);
  }

  #forgetOld(now: number): void {
    // Insertion order is age order: stop at the first young one.
    for (const [punch, found] of this.#tries) {
      if (now - found.at < TRY_MEMORY_MS) break;
      this.#forget(punch, found);
    }
  }
}
