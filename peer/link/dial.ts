/** Opening TCP connections without waiting forever. */

import { within } from "../../async/mod.ts";

/**
 * `Deno.connect` with Nagle off, failing with a `DeadlineError` after `ms`
 * (an unroutable address otherwise hangs for minutes). A connection that
 * arrives after that is closed, not leaked.
 */
export async function connectWithin(
  options: Deno.ConnectOptions,
  ms: number,
): Promise<Deno.TcpConn> {
  const conn = await within(Deno.connect(options), ms, "connection", {
    onLate: (late) => late.close(),
  });
  conn.setNoDelay(true);
  return conn;
}
