/**
 * Accepting TCP connections for as long as a listener is open. An `accept()`
 * that fails — the process ran out of file descriptors (EMFILE), the system
 * did (ENFILE), memory or buffers ran short — must not end the process, nor
 * the serving of connections already open: the loop reports the failure
 * once, backs off, and tries again until accepting works, then says so.
 * Near the limit, accepting works and fails by turns; that is reported at
 * most once per {@linkcode AcceptOptions.reportIntervalMs}.
 */

/** Options for {@linkcode acceptConnections}. */
export interface AcceptOptions {
  /** First wait after a failed accept; doubles up to {@linkcode maxBackoffMs}. Default 50 ms. */
  initialBackoffMs?: number;
  /** Longest wait between attempts. Default 1 s. */
  maxBackoffMs?: number;
  /** Least time between two reports of failing. Default 60 s. */
  reportIntervalMs?: number;
  /** Every failed attempt (for counters). */
  failed?: () => void;
  /** Accepting fails (said once per report interval, not per attempt). */
  failing?: (error: Error) => void;
  /** Accepting works again after `failures` failed attempts (after a `failing`). */
  recovered?: (failures: number) => void;
}

/**
 * Calls `handle` for every accepted connection until the listener is closed
 * (then it resolves). Errors of `handle` are its own business: it should not
 * throw, and if it does, the error propagates and ends the loop.
 */
export async function acceptConnections(
  listener: Deno.TcpListener,
  handle: (conn: Deno.TcpConn) => void,
  options: AcceptOptions = {},
): Promise<void> {
  const initial = options.initialBackoffMs ?? 50;
  const max = options.maxBackoffMs ?? 1000;
  const reportInterval = options.reportIntervalMs ?? 60_000;
  let failures = 0;
  let streak = 0;
  let reported = false;
  let lastReportAt = -Infinity;
  while (true) {
    let conn: Deno.TcpConn;
    try {
      conn = await listener.accept();
    } catch (error) {
      // Closed by its owner: the normal end.
      if (error instanceof Deno.errors.BadResource) return;
      failures++;
      streak++;
      options.failed?.();
      if (!reported && performance.now() - lastReportAt >= reportInterval) {
        reported = true;
        lastReportAt = performance.now();
        options.failing?.(error as Error);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(max, initial * 2 ** streak)));
      continue;
    }
    streak = 0;
    if (reported) {
      reported = false;
      options.recovered?.(failures);
      failures = 0;
    }
    handle(conn);
  }
}
