/**
 * Lines about the messages this peer sent — ⏳ waiting, ✓ delivered, ✓✓
 * read, cancelled — each naming its message by its first words. A
 * broadcast's copies are summed up ("✓ "lunch?" delivered to 3 of 3") in one
 * line per change, however many recipients answer at once.
 */

import type { PeerEvent } from "../peer/mod.ts";
import { preview } from "./message_text.ts";

/** The events this part speaks for. */
export type ReceiptEvent = Extract<
  PeerEvent,
  { event: "sent" | "pending" | "delivered" | "read" | "failed" }
>;

/** What is known about one sent message. */
export interface SentMessage {
  text: string;
  broadcast: boolean;
  /** How many peers it went to (the copies of a broadcast), if known. */
  recipients?: number;
}

/** Options for {@linkcode ReceiptLines}. */
export interface ReceiptLinesOptions {
  /** The message as it waits in the outbox (found at once while undelivered). */
  pending(id: string): SentMessage | undefined;
  /** The message from history, for receipts of messages sent in an earlier run. */
  stored(id: string, peerId: string): Promise<SentMessage | undefined>;
  /** Prints one finished line (already styled). */
  print(line: string): void;
  /** Styles a line: `"dim"` for progress, `"warn"` for trouble. */
  paint(style: "dim" | "warn", text: string): string;
  /** How long a broadcast's receipts are gathered before a summary line. Default 250 ms. */
  gatherMs?: number;
  /**
   * How long the gathering may go on while some copies have not yet been
   * delivered or reported waiting. Default 3000 ms.
   */
  gatherAllMs?: number;
}

/** How many sent messages are remembered for their receipts. */
const REMEMBERED = 1000;

const CANCELLED = "cancelled before delivery";

interface Tracked {
  message: SentMessage | undefined;
  /** Settles once `message` is looked up; events for the message wait on it. */
  ready: Promise<void>;
  /** Broadcasts only: names per outcome, and the counts last printed. */
  outcomes: Record<Outcome, string[]>;
  printed: Record<Outcome, number>;
  timer?: ReturnType<typeof setTimeout>;
}

type Outcome = "pending" | "delivered" | "read" | "cancelled";

/** Renders receipt events, gathering a broadcast's into summary lines. */
export class ReceiptLines implements Disposable {
  readonly #options: ReceiptLinesOptions;
  readonly #tracked = new Map<string, Tracked>();

  constructor(options: ReceiptLinesOptions) {
    this.#options = options;
  }

  /** Takes one receipt event; its line is printed now or shortly. */
  render(event: ReceiptEvent): void {
    const tracked = this.#track(event);
    if (tracked.message) this.#apply(event, tracked);
    else void tracked.ready.then(() => this.#apply(event, tracked));
  }

  /** Prints what is still gathered and stops the timers. */
  [Symbol.dispose](): void {
    for (const tracked of this.#tracked.values()) {
      if (tracked.timer === undefined) continue;
      clearTimeout(tracked.timer);
      this.#summarize(tracked);
    }
  }

  #track(event: ReceiptEvent): Tracked {
    const known = this.#tracked.get(event.id);
    if (known) return known;
    const tracked: Tracked = {
      message: this.#options.pending(event.id),
      ready: Promise.resolve(),
      outcomes: { pending: [], delivered: [], read: [], cancelled: [] },
      printed: { pending: 0, delivered: 0, read: 0, cancelled: 0 },
    };
    if (!tracked.message) {
      tracked.ready = this.#options.stored(event.id, event.to.id).then(
        (found) => {
          tracked.message = found;
        },
        () => {},
      );
    }
    this.#tracked.set(event.id, tracked);
    if (this.#tracked.size > REMEMBERED) {
      this.#tracked.delete(this.#tracked.keys().next().value!);
    }
    return tracked;
  }

  #apply(event: ReceiptEvent, tracked: Tracked): void {
    const words = tracked.message ? preview(tracked.message.text) : `message ${event.id}`;
    const { paint, print } = this.#options;
    if (event.event === "sent") return;
    if (event.event === "failed" && event.reason !== CANCELLED) {
      print(paint("warn", `! ${words} not delivered to ${event.to.name}: ${event.reason}`));
      return;
    }
    if (tracked.message?.broadcast) {
      const outcome: Outcome = event.event === "failed" ? "cancelled" : event.event;
      tracked.outcomes[outcome].push(event.to.name);
      if (!tracked.timer) this.#gather(tracked, Date.now());
      return;
    }
    const to = event.to.name;
    switch (event.event) {
      case "pending":
        return print(paint("dim", `  ⏳ ${words} waits in the outbox: ${to} is not reachable now`));
      case "delivered":
        return print(paint("dim", `  ✓ ${words} delivered to ${to}`));
      case "read":
        return print(paint("dim", `  ✓✓ ${words} read by ${to}`));
      case "failed":
        return print(`* cancelled ${words} to ${to}; it will not be delivered`);
    }
  }

  /**
   * Waits before a summary; on a loaded machine the copies' acks can come
   * more than `gatherMs` apart, so while some copy is unaccounted for (neither
   * delivered, waiting nor cancelled) it waits again, up to `gatherAllMs`:
   * one "delivered to 3 of 3", not "1 of 3", "2 of 3", "3 of 3".
   */
  #gather(tracked: Tracked, since: number): void {
    tracked.timer = setTimeout(() => {
      const { outcomes } = tracked;
      const accounted = new Set([
        ...outcomes.delivered,
        ...outcomes.pending,
        ...outcomes.cancelled,
      ]);
      const total = tracked.message?.recipients;
      if (
        total !== undefined && accounted.size < total &&
        Date.now() - since < (this.#options.gatherAllMs ?? 3000)
      ) {
        return this.#gather(tracked, since);
      }
      tracked.timer = undefined;
      this.#summarize(tracked);
    }, this.#options.gatherMs ?? 250);
  }

  /** One line per outcome that changed since the last summary. */
  #summarize(tracked: Tracked): void {
    const { paint, print } = this.#options;
    const words = preview(tracked.message!.text);
    const total = tracked.message!.recipients;
    const of = (count: number) => total === undefined ? `${count}` : `${count} of ${total}`;
    const { outcomes, printed } = tracked;
    // A copy that waited and was delivered since no longer waits.
    const waiting = outcomes.pending.filter((name) =>
      !outcomes.delivered.includes(name) && !outcomes.cancelled.includes(name)
    );
    if (outcomes.pending.length > printed.pending && waiting.length > 0) {
      print(paint(
        "dim",
        `  ⏳ ${words} waits in the outbox for ${waiting.join(", ")} (not reachable now)`,
      ));
    }
    if (outcomes.delivered.length > printed.delivered) {
      print(paint("dim", `  ✓ ${words} delivered to ${of(outcomes.delivered.length)}`));
    }
    if (outcomes.read.length > printed.read) {
      print(paint("dim", `  ✓✓ ${words} read by ${of(outcomes.read.length)}`));
    }
    if (outcomes.cancelled.length > printed.cancelled) {
      print(`* cancelled ${words} to ${outcomes.cancelled.join(", ")}; it will not be delivered`);
    }
    for (const outcome of Object.keys(printed) as Outcome[]) {
      printed[outcome] = outcomes[outcome].length;
    }
  }
}
