/**
 * Time and waiting, written once for every part of p2pchat: a deadline for a
 * promise ({@linkcode within} throws a {@linkcode DeadlineError} naming what
 * did not come; {@linkcode waitAtMost} just stops waiting), and a
 * {@linkcode Notifier} that wakes whoever waits for the next change. The
 * timers they start are always cleared, so tests run with the op sanitizer.
 *
 * It stands below everything else (it imports nothing), so `protocol/` can
 * use it as well as the roles, the interfaces, the tests and the benchmarks.
 * Deno's std ships `deadline()` in its `async/`; jsr.io is out of reach here,
 * so this folder is ours.
 *
 * @module
 */

export { DeadlineError, waitAtMost, within, type WithinOptions } from "./deadline.ts";
export { Notifier } from "./notifier.ts";
