/**
 * Warnings that an attacker can trigger at will — refused connections,
 * failed handshakes — must not become a flood of log lines (11,386 lines
 * for 11,386 bad connections). Each kind is said at once, then at most once
 * per interval: the line that ends an interval describes the last occurrence
 * and says how many more happened since the previous line (`suppressed`), so
 * nothing goes uncounted.
 */

import type { LogFields, Logger } from "./logger.ts";

/** Options for {@linkcode ThrottledWarning}. */
export interface ThrottledWarningOptions {
  /** Least time between two lines of one kind. Default 1 s. */
  intervalMs?: number;
}

interface KindState {
  lastAt: number;
  /** Occurrences since the last line, not written yet. */
  suppressed: number;
  /** The newest of them: what the next line describes. */
  fields: LogFields;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * One warning `message` whose occurrences are told apart by a kind (a
 * refusal's reason, say): each kind is written at most once per interval.
 * {@linkcode close} writes what is still counted and stops the timers.
 *
 * @example
 * ```ts
 * const refused = new ThrottledWarning(logger, "incoming link refused");
 * refused.warn("timeout", { remote: "192.0.2.7:51000", code: "timeout" });
 * ```
 */
export class ThrottledWarning {
  readonly #logger: Logger;
  readonly #message: string;
  readonly #intervalMs: number;
  // Kinds are codes, a handful of them: the map stays small.
  readonly #kinds = new Map<string, KindState>();
  #closed = false;

  constructor(logger: Logger, message: string, options: ThrottledWarningOptions = {}) {
    this.#logger = logger;
    this.#message = message;
    this.#intervalMs = options.intervalMs ?? 1000;
  }

  /** Writes the warning for `kind` now, or counts it for the line that ends the interval. */
  warn(kind: string, fields: LogFields = {}): void {
    const now = performance.now();
    const state = this.#kinds.get(kind);
    if (!state || (state.timer === undefined && now - state.lastAt >= this.#intervalMs)) {
      this.#kinds.set(kind, { lastAt: now, suppressed: 0, fields, timer: undefined });
      this.#logger.warn(this.#message, fields);
      return;
    }
    state.suppressed++;
    state.fields = fields;
    if (state.timer === undefined && !this.#closed) {
      state.timer = setTimeout(() => this.#flush(state), state.lastAt + this.#intervalMs - now);
    }
  }

  /** Writes every count still waiting and stops the timers (at shutdown). */
  close(): void {
    this.#closed = true;
    for (const state of this.#kinds.values()) this.#flush(state);
  }

  #flush(state: KindState): void {
    clearTimeout(state.timer);
    state.timer = undefined;
    if (state.suppressed === 0) return;
    // The line stands for the newest occurrence and for the others before it.
    const others = state.suppressed - 1;
    state.suppressed = 0;
    state.lastAt = performance.now();
    this.#logger.warn(this.#message, {
      ...state.fields,
      ...(others > 0 ? { suppressed: others } : {}),
    });
  }
}
