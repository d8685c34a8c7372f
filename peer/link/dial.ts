/** Opening TCP connections without waiting forever. */

/**
 * `Deno.connect` with Nagle off, failing with `Deno.errors.TimedOut` after
 * `ms` (an unroutable address otherwise hangs for minutes).
 */
export async function connectWithin(
  options: Deno.ConnectOptions,
  ms: number,
): Promise<Deno.TcpConn> {
  const connecting = Deno.connect(options);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Deno.errors.TimedOut(`no connection within ${ms} ms`));
    }, ms);
  });
  // A connection that arrives after we gave up must not leak.
  connecting.then((late) => timedOut && late.close(), () => {});
  try {
    const conn = await Promise.race([connecting, timeout]);
    conn.setNoDelay(true);
    return conn;
  } finally {
    clearTimeout(timer);
  }
}
