/**
 * One relay circuit between two registry sessions: its state (offered to the
 * target, then open, then closed), and a lane per direction that forwards
 * `relay_data` at the circuit's rate and acknowledges each chunk to its
 * sender once passed on (`relay_ack`: the flow control that keeps a sender
 * within its window). A lane never pushes bytes into a session that is
 * behind with writing, so a slow reader costs its own circuit, not the other
 * peers of the registry. A sender that ignores its window finds the lane
 * full and loses the circuit (`rate_limited`).
 */

import type { RelayCloseReason, RelayDataMessage } from "../../protocol/mod.ts";
import type { MeetingSession } from "./meeting_session.ts";
import { RelayPacer } from "./relay_pacing.ts";

/** Where a circuit is in its life. */
export type CircuitState = "offered" | "open" | "closed";

/** A session's backlog past which a lane holds its bytes back. */
const RECEIVER_BACKLOG_BYTES = 256 * 1024;

/** What a circuit reports to its switchboard. */
export interface CircuitEvents {
  /** `bytes` crossed the circuit. */
  forwarded(bytes: number): void;
  /** Bytes had to wait for the rate (the circuit is being throttled). */
  throttled(): void;
  /** The circuit must close (a lane overflowed). */
  overflowed(circuit: RelayCircuit): void;
}

/** Bytes of a `relay_data` payload, from its base64 length. */
export function relayedBytes(message: RelayDataMessage): number {
  const { data } = message;
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}

/**
 * The flow-control window of a circuit at `kbps`: a quarter second of its
 * rate, at least 64 KiB (0 kbps, unlimited: 64 KiB).
 */
export function relayWindow(kbps: number): number {
  return Math.max(64 * 1024, Math.ceil((kbps * 1000) / 8 / 4));
}

/** One direction of a circuit. */
class Lane {
  readonly #from: MeetingSession;
  readonly #to: MeetingSession;
  readonly #pacer: RelayPacer;
  readonly #maxQueuedBytes: number;
  readonly #events: CircuitEvents;
  readonly #circuit: RelayCircuit;
  #queue: RelayDataMessage[] = [];
  #queuedBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waitingForReceiver = false;
  #closed = false;

  constructor(
    circuit: RelayCircuit,
    ends: { from: MeetingSession; to: MeetingSession },
    events: CircuitEvents,
  ) {
    this.#circuit = circuit;
    this.#from = ends.from;
    this.#to = ends.to;
    this.#pacer = new RelayPacer(circuit.kbps);
    // A sender within its window never has more than that waiting here.
    this.#maxQueuedBytes = circuit.window + circuit.chunk;
    this.#events = events;
  }

  push(message: RelayDataMessage): void {
    if (this.#closed) return;
    this.#queue.push(message);
    this.#queuedBytes += relayedBytes(message);
    if (this.#queuedBytes > this.#maxQueuedBytes) return this.#events.overflowed(this.#circuit);
    this.#pump();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#queue = [];
  }

  #pump(): void {
    if (this.#timer !== undefined || this.#waitingForReceiver) return;
    while (this.#queue.length > 0 && !this.#closed) {
      const wait = this.#pacer.waitMs();
      if (wait > 0) {
        this.#events.throttled();
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, wait);
        return;
      }
      if (this.#to.backlogBytes > RECEIVER_BACKLOG_BYTES) {
        this.#waitingForReceiver = true;
        const resume = () => {
          this.#waitingForReceiver = false;
          this.#pump();
        };
        this.#to.flushed().then(resume, resume);
        return;
      }
      const message = this.#queue.shift()!;
      const bytes = relayedBytes(message);
      this.#queuedBytes -= bytes;
      this.#pacer.spend(bytes);
      this.#to.send(message);
      this.#from.send({ type: "relay_ack", circuit: this.#circuit.id, bytes });
      this.#events.forwarded(bytes);
    }
  }
}

/** A circuit the opener asked for, from offer to close. */
export class RelayCircuit {
  readonly id: string;
  readonly opener: MeetingSession;
  readonly target: MeetingSession;
  readonly kbps: number;
  /** Bytes a side may have unacknowledged. */
  readonly window: number;
  /** The most bytes one `relay_data` may carry. */
  readonly chunk: number;
  readonly offeredAt = performance.now();
  lastActiveAt = performance.now();
  #state: CircuitState = "offered";
  readonly #lanes: Map<MeetingSession, Lane>;

  constructor(
    id: string,
    ends: { opener: MeetingSession; target: MeetingSession },
    limits: { kbps: number; chunk: number },
    events: CircuitEvents,
  ) {
    this.id = id;
    this.opener = ends.opener;
    this.target = ends.target;
    this.kbps = limits.kbps;
    this.chunk = limits.chunk;
    this.window = relayWindow(limits.kbps);
    // A lane is named by the session that sends into it.
    this.#lanes = new Map([
      [ends.opener, new Lane(this, { from: ends.opener, to: ends.target }, events)],
      [ends.target, new Lane(this, { from: ends.target, to: ends.opener }, events)],
    ]);
  }

  get state(): CircuitState {
    return this.#state;
  }

  /** The other end of the circuit from `session`. */
  other(session: MeetingSession): MeetingSession {
    return session === this.opener ? this.target : this.opener;
  }

  /** The target accepted: tell the opener. */
  open(): void {
    this.#state = "open";
    this.lastActiveAt = performance.now();
    this.opener.send({
      type: "relay_ready",
      circuit: this.id,
      window: this.window,
      chunk: this.chunk,
    });
  }

  /** Bytes from `from` for the other end. */
  forward(from: MeetingSession, message: RelayDataMessage): void {
    this.lastActiveAt = performance.now();
    this.#lanes.get(from)?.push(message);
  }

  /** Closes the circuit and tells the ends in `tell` why. */
  close(reason: RelayCloseReason, tell: MeetingSession[]): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    for (const lane of this.#lanes.values()) lane.close();
    for (const session of tell) session.send({ type: "relay_close", circuit: this.id, reason });
  }
}
