/**
 * Links between peers: dialling with a deadline, hole punching and relaying
 * through the registry when a dial cannot get through a NAT, the SIGMA link
 * handshake that authenticates both ends and seals every frame, the
 * {@linkcode DirectLink} it yields, and the {@linkcode LinkPool} that
 * accepts, dials and reuses links — one per peer, closed when idle — behind
 * the listener's limits against abuse. Whatever path a link takes, it ends
 * in the same sealed channel. Backoff timing for redialling lives here too.
 *
 * @module
 */

export { connectWithin } from "./dial.ts";
export { backoffDelay, type BackoffOptions, DEFAULT_BACKOFF_MAX_MS } from "./backoff.ts";
export { DirectLink, type LinkDirection } from "./direct_link.ts";
export {
  acceptHandshake,
  type AcceptTimeouts,
  dialHandshake,
  type SealedLinkChannel,
} from "./link_handshake.ts";
export {
  DEFAULT_LINK_LIMITS,
  LinkLimitError,
  type LinkLimits,
  type LinkRefusal,
} from "./link_limits.ts";
export {
  DEFAULT_LINK_PATHS,
  type LinkPath,
  type LinkPathChoice,
  parseLinkPaths,
} from "./link_paths.ts";
export { type Rendezvous, RendezvousUnavailable } from "./rendezvous.ts";
export {
  LinkError,
  type LinkPayload,
  LinkPool,
  type LinkPoolHandler,
  type LinkPoolOptions,
} from "./link_pool.ts";
