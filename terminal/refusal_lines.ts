/**
 * Lines about messages a recipient refused for now (over this sender's rate
 * there): one line per recipient per burst — "bob takes no more from you for
 * now …: 40 messages wait in the outbox, sent again in 6 s" — however many
 * `refused` events the burst brought.
 */

import type { PeerEvent } from "../peer/mod.ts";

/** The event this part speaks for. */
export type RefusalEvent = Extract<PeerEvent, { event: "refused" }>;

/** Options for {@linkcode RefusalLines}. */
export interface RefusalLinesOptions {
  /** Prints one finished line (already styled). */
  print(line: string): void;
  /** Styles a line as trouble. */
  warn(text: string): string;
  /** How long refusals are gathered before their line. Default 250 ms. */
  gatherMs?: number;
}

const REASONS: Record<RefusalEvent["reason"], string> = {
  too_many_messages: "too many messages a minute",
  too_many_bytes: "too many bytes a minute",
};

interface Gathered {
  name: string;
  reason: RefusalEvent["reason"];
  count: number;
  retryInMs: number;
  timer: ReturnType<typeof setTimeout>;
}

/** Renders `refused` events, one summary line per recipient and burst. */
export class RefusalLines implements Disposable {
  readonly #options: RefusalLinesOptions;
  readonly #gathered = new Map<string, Gathered>();

  constructor(options: RefusalLinesOptions) {
    this.#options = options;
  }

  /** Takes one event; its recipient's line is printed shortly. */
  render(event: RefusalEvent): void {
    const known = this.#gathered.get(event.to.id);
    if (known) {
      known.count++;
      known.retryInMs = Math.max(known.retryInMs, event.retryInMs);
      return;
    }
    this.#gathered.set(event.to.id, {
      name: event.to.name,
      reason: event.reason,
      count: 1,
      retryInMs: event.retryInMs,
      timer: setTimeout(() => this.#flush(event.to.id), this.#options.gatherMs ?? 250),
    });
  }

  /** Prints what is still gathered and stops the timers. */
  [Symbol.dispose](): void {
    for (const [id, gathered] of this.#gathered) {
      clearTimeout(gathered.timer);
      this.#flush(id);
    }
  }

  #flush(id: string): void {
    const gathered = this.#gathered.get(id);
    if (!gathered) return;
    this.#gathered.delete(id);
    const { name, reason, count, retryInMs } = gathered;
    const messages = count === 1 ? "1 message waits" : `${count} messages wait`;
    this.#options.print(this.#options.warn(
      `! ${name} takes no more from you for now (${REASONS[reason]}): ${messages} in the ` +
        `outbox, sent again in ${Math.ceil(retryInMs / 1000)} s`,
    ));
  }
}
