/**
 * The registry's relay: circuits between the registry sessions of two peers
 * that could neither dial nor punch through to each other. It forwards only
 * what the peers hand it — the sealed frames of a link whose handshake runs
 * end to end — so it sees sizes and timing, never content, and cannot pose as
 * either side. Limits: at most `maxCircuits` at once, `kbps` per circuit and
 * direction, circuits idle for `idleMs` closed, and none at all when
 * disabled.
 */

import {
  type RelayAcceptMessage,
  relayChunkBytes,
  type RelayCloseMessage,
  type RelayDataMessage,
  type RelayOpenMessage,
} from "../../protocol/mod.ts";
import type { MeetingSession } from "./meeting_session.ts";
import { RelayCircuit, relayedBytes } from "./relay_circuit.ts";

/** How the registry relays. */
export interface RelayLimits {
  /** False: every `relay_open` is refused (`--no-relay`). Default true. */
  enabled?: boolean;
  /** Circuits open at once (`--relay-max`). Default 1000. */
  maxCircuits?: number;
  /** Rate per circuit and direction, kilobits per second; 0 = unlimited (`--relay-kbps`). Default 1024. */
  kbps?: number;
  /** A circuit with no bytes for this long is closed (`--relay-idle-ms`). Default 120 s. */
  idleMs?: number;
  /** Time the target has to accept a circuit. Default 5 s. */
  acceptMs?: number;
  /** The registry's frame limit, which each `relay_data` must fit. Default 4 KiB. */
  maxFrameBytes?: number;
}

/** What {@linkcode RelayLimits} default to. */
export const RELAY_DEFAULTS = { maxCircuits: 1000, kbps: 1024, idleMs: 120_000 } as const;

/** Relay counters. */
export interface RelayStats {
  /** Circuits open now (offered ones included). */
  circuits: number;
  /** Circuits the targets accepted, since start. */
  circuitsOpened: number;
  /** `relay_open`s refused (disabled, full, target offline or refusing). */
  circuitsRefused: number;
  /** Bytes forwarded, both directions. */
  bytes: number;
  /** Times a circuit's bytes had to wait for its rate. */
  throttled: number;
}

/** Options for {@linkcode RelaySwitchboard}. */
export interface RelaySwitchboardOptions extends RelayLimits {
  /** The session of an online peer, by ID. */
  sessionOf(peerId: string): MeetingSession | undefined;
}

/**
 * A circuit that closed a moment ago. Its ends may still have up to a
 * window of bytes on the way, which are dropped without charging them to
 * the connection (a peer whose partner left mid-transfer must not be cut
 * off the registry for it); anything past that is charged as usual.
 */
interface ClosedCircuit {
  /** The peer IDs of its ends (not their sessions, which may be gone). */
  ends: [string | undefined, string | undefined];
  at: number;
  allowance: number;
}

/** How long bytes for a closed circuit are dropped quietly. */
const CLOSED_GRACE_MS = 10_000;
/** Closed circuits remembered at once (the oldest are forgotten first). */
const MAX_CLOSED_REMEMBERED = 4096;

/** Every relay circuit of one registry. */
export class RelaySwitchboard {
  readonly #options: RelaySwitchboardOptions;
  readonly #circuits = new Map<string, RelayCircuit>();
  readonly #bySession = new Map<MeetingSession, Set<RelayCircuit>>();
  readonly #closed = new Map<string, ClosedCircuit>();
  readonly #stats = { circuitsOpened: 0, circuitsRefused: 0, bytes: 0, throttled: 0 };
  readonly #events = {
    forwarded: (bytes: number) => this.#stats.bytes += bytes,
    throttled: () => this.#stats.throttled++,
    overflowed: (circuit: RelayCircuit) =>
      this.#close(circuit, "rate_limited", [circuit.opener, circuit.target]),
  };
  #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(options: RelaySwitchboardOptions) {
    this.#options = options;
  }

  get stats(): RelayStats {
    return { circuits: this.#circuits.size, ...this.#stats };
  }

  /** `opener` asks for a circuit to `message.to`. */
  open(opener: MeetingSession, message: RelayOpenMessage): void {
    const { circuit: id } = message;
    const refuse = (reason: "disabled" | "full" | "offline" | "refused") => {
      this.#stats.circuitsRefused++;
      opener.send({ type: "relay_close", circuit: id, reason });
    };
    if (this.#options.enabled === false) return refuse("disabled");
    if (this.#circuits.has(id)) return refuse("refused");
    if (this.#circuits.size >= (this.#options.maxCircuits ?? RELAY_DEFAULTS.maxCircuits)) {
      return refuse("full");
    }
    const target = this.#options.sessionOf(message.to);
    if (!target || target === opener || opener.peerId === undefined) return refuse("offline");
    const circuit = new RelayCircuit(id, { opener, target }, {
      kbps: this.#options.kbps ?? RELAY_DEFAULTS.kbps,
      chunk: relayChunkBytes(this.#options.maxFrameBytes ?? 4096),
    }, this.#events);
    this.#circuits.set(id, circuit);
    for (const end of [opener, target]) {
      let set = this.#bySession.get(end);
      if (!set) this.#bySession.set(end, set = new Set());
      set.add(circuit);
    }
    this.#sweeper ??= setInterval(() => this.#sweep(), this.#sweepEveryMs());
    target.send({
      type: "relay_incoming",
      circuit: id,
      from: opener.peerId,
      window: circuit.window,
      chunk: circuit.chunk,
    });
  }

  /** The target takes the circuit. */
  accept(session: MeetingSession, message: RelayAcceptMessage): void {
    const circuit = this.#circuits.get(message.circuit);
    if (!circuit || circuit.target !== session || circuit.state !== "offered") return;
    this.#stats.circuitsOpened++;
    circuit.open();
  }

  /**
   * Bytes for the other end. False when `from` has no such open circuit
   * (its bytes are then charged like any other frame).
   */
  data(from: MeetingSession, message: RelayDataMessage): boolean {
    const circuit = this.#circuits.get(message.circuit);
    if (!circuit || circuit.state !== "open" || !this.#bySession.get(from)?.has(circuit)) {
      return this.#absorbLate(from, message);
    }
    circuit.forward(from, message);
    return true;
  }

  /** Drops bytes still on the way to a circuit that just closed; false when not that. */
  #absorbLate(from: MeetingSession, message: RelayDataMessage): boolean {
    const closed = this.#closed.get(message.circuit);
    if (!closed || from.peerId === undefined || !closed.ends.includes(from.peerId)) return false;
    const bytes = relayedBytes(message);
    if (performance.now() - closed.at > CLOSED_GRACE_MS || closed.allowance < bytes) return false;
    closed.allowance -= bytes;
    return true;
  }

  /** An end closes the circuit (or the target refuses it). */
  close(from: MeetingSession, message: RelayCloseMessage): void {
    const circuit = this.#circuits.get(message.circuit);
    if (!circuit || !this.#bySession.get(from)?.has(circuit)) return;
    if (circuit.state === "offered" && from === circuit.target) this.#stats.circuitsRefused++;
    const reason = message.reason === "refused" ? "refused" : "closed";
    this.#close(circuit, reason, [circuit.other(from)]);
  }

  /** Whether `session` is an end of any circuit. */
  holds(session: MeetingSession): boolean {
    return this.#bySession.has(session);
  }

  /** A session ended: its circuits end, and their other ends are told. */
  sessionEnded(session: MeetingSession): void {
    for (const circuit of [...(this.#bySession.get(session) ?? [])]) {
      this.#close(circuit, "peer_left", [circuit.other(session)]);
    }
  }

  /** Closes every circuit without a word (the sessions are closing) and stops the sweep. */
  shutdown(): void {
    for (const circuit of [...this.#circuits.values()]) this.#close(circuit, "closed", []);
    this.#closed.clear();
  }

  #close(
    circuit: RelayCircuit,
    reason: Parameters<RelayCircuit["close"]>[0],
    tell: MeetingSession[],
  ): void {
    circuit.close(reason, tell);
    this.#circuits.delete(circuit.id);
    if (this.#closed.size >= MAX_CLOSED_REMEMBERED) {
      this.#closed.delete(this.#closed.keys().next().value!);
    }
    this.#closed.set(circuit.id, {
      ends: [circuit.opener.peerId, circuit.target.peerId],
      at: performance.now(),
      allowance: circuit.window + circuit.chunk,
    });
    for (const end of [circuit.opener, circuit.target]) {
      const set = this.#bySession.get(end);
      set?.delete(circuit);
      if (set?.size === 0) this.#bySession.delete(end);
    }
    if (this.#circuits.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  #sweepEveryMs(): number {
    return Math.max(
      50,
      Math.min(this.#options.idleMs ?? RELAY_DEFAULTS.idleMs, this.#acceptMs) / 4,
    );
  }

  get #acceptMs(): number {
    return this.#options.acceptMs ?? 5000;
  }

  /** Closes circuits not accepted in time, and idle ones. */
  #sweep(): void {
    const now = performance.now();
    const idleMs = this.#options.idleMs ?? RELAY_DEFAULTS.idleMs;
    for (const [id, closed] of this.#closed) {
      if (now - closed.at <= CLOSED_GRACE_MS) break; // oldest first
      this.#closed.delete(id);
    }
    for (const circuit of [...this.#circuits.values()]) {
      const both = [circuit.opener, circuit.target];
      if (circuit.state === "offered" && now - circuit.offeredAt > this.#acceptMs) {
        this.#close(circuit, "timeout", both);
      } else if (circuit.state === "open" && now - circuit.lastActiveAt > idleMs) {
        this.#close(circuit, "idle", both);
      }
    }
  }
}
