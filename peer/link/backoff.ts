/** How long to wait before the next attempt to reach the registry. */

/** The longest wait between attempts unless `maxMs` says otherwise. */
export const DEFAULT_BACKOFF_MAX_MS = 10_000;

/** Bounds for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /** Ceiling of the first wait. Default 250 ms. */
  initialMs?: number;
  /** Largest ceiling, however many attempts failed. Default 10 s. */
  maxMs?: number;
  /** Source of randomness in [0, 1), for tests. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": the ceiling doubles per failed
 * attempt up to `maxMs`, and the wait is drawn from its upper half. The
 * jitter spreads a crowd of peers that lost the registry at the same moment,
 * so its restart is not met by all of them at once.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initialMs = options.initialMs ?? 250;
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
