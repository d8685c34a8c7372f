/** Waiting for something, but not forever. */

/** Something did not happen in time; the message says what and how long we waited. */
export class DeadlineError extends Error {
  /** What was awaited, as the message words it (`a "welcome" message`). */
  readonly what: string;
  /** How long it was awaited, in milliseconds. */
  readonly ms: number;

  constructor(what: string, ms: number) {
    super(`No ${what} within ${ms} ms`);
    this.name = this.constructor.name;
    this.what = what;
    this.ms = ms;
  }
}

/** Options for {@linkcode within}. */
export interface WithinOptions<T> {
  /**
   * Called with the value if `promise` resolves after the deadline passed,
   * so a resource nobody waits for any more (a connection, a file) is closed
   * rather than leaked.
   */
  onLate?: (late: T) => void;
}

/**
 * `promise`'s value, or a {@linkcode DeadlineError} if it does not settle
 * within `ms`. The timer is cleared either way; a rejection that comes after
 * the deadline is ignored, and a value that comes after it goes to `onLate`.
 *
 * @example
 * ```ts
 * const conn = await within(Deno.connect({ port: 7070 }), 5000, "connection to :7070", {
 *   onLate: (late) => late.close(),
 * });
 * ```
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  options: WithinOptions<T> = {},
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let late = false;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(new DeadlineError(what, ms));
    }, ms);
  });
  promise.then((value) => late && options.onLate?.(value), () => {});
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for `promise`, but no longer than `ms`: true if it resolved in time,
 * false if the time ran out first (it is then left to settle on its own). A
 * rejection in time is passed on.
 *
 * @example
 * ```ts
 * if (!await waitAtMost(child.status, 5000)) child.kill("SIGKILL");
 * ```
 */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) => timer = setTimeout(resolve, ms, false));
  promise.catch(() => {}); // a rejection after the time ran out has nobody to tell
  try {
    return await Promise.race([promise.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
