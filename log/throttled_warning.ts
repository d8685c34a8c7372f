/**
 * Warnings that an attacker can trigger at will — refused connections,
 * failed handshakes — must not become a flood of log lines (11,386 lines
 * for 11,386 bad connections). Each reason is said at once, then at most
 * once per interval, with how many more happened in between.
 */

import type { LogFields, Logger } from "./logger.ts";

/** Warns about `reason` now, or counts it until its interval is over. */
export type ThrottledWarning = (reason: string, fields?: LogFields) => void;

/**
 * A warning function that writes the first occurrence of each `reason` and
 * then at most one line per `intervalMs` for it, carrying `suppressed`: how
 * many occurrences were not written since the last line.
 */
export function throttledWarning(
  logger: Logger,
  message: string,
  intervalMs = 1000,
): ThrottledWarning {
  const reasons = new Map<string, { lastAt: number; suppressed: number }>();
  return function warnThrottled(reason: string, fields: LogFields = {}): void {
    const now = performance.now();
    const state = reasons.get(reason);
    if (state && now - state.lastAt < intervalMs) {
      state.suppressed++;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    // Reasons are codes, a handful of them; the map stays small.
    reasons.set(reason, { lastAt: now, suppressed: 0 });
    logger.warn(message, { reason, ...fields, ...(suppressed > 0 ? { suppressed } : {}) });
  };
}
