/**
 * Which registry a registration is for. A peer signs the address its
 * connection reached and the epoch of the challenge it answers; a registry
 * takes the registration only if both name it. Without this, a malicious
 * registry could pass another registry's challenge to a peer, and the
 * peer's answer back, and so register the peer somewhere it never dialled.
 */

import {
  formatNetAddr,
  parseHostPort,
  ProtocolError,
  type RegisterMessage,
} from "../protocol/mod.ts";

/** Where this registry may be reached, for one connection. */
export interface RegistryReach {
  /** The local end of the connection: the address the peer's SYN arrived at (never 0.0.0.0). */
  arrivedAt: Deno.NetAddr;
  /** More `HOST:PORT` peers dial this registry at: `--public-address`, a cluster's `--announce`. */
  publicAddresses: readonly string[];
  /** The epoch this registry put in the connection's challenge. */
  epoch: string;
}

/**
 * Throws `wrong_registry` unless `registration` (already verified as signed
 * by its peer) names this registry: the challenge's epoch, and the address
 * the connection arrived at or one of the public addresses. Addresses are
 * compared as IP literals in canonical form, so `[::ffff:127.0.0.1]:7070`
 * and `127.0.0.1:7070` are one address.
 */
export function checkRegistryNamed(
  registration: Pick<RegisterMessage, "registry" | "epoch">,
  reach: RegistryReach,
): void {
  if (registration.epoch !== reach.epoch) {
    throw new ProtocolError(
      "wrong_registry",
      `Registration answers a challenge of registry epoch ${registration.epoch}; ` +
        `this registry's is ${reach.epoch} (was the challenge relayed from another registry?)`,
    );
  }
  const named = canonical(registration.registry);
  const here = [formatNetAddr(reach.arrivedAt), ...reach.publicAddresses.map(canonical)];
  if (!here.includes(named)) {
    throw new ProtocolError(
      "wrong_registry",
      `Registration is for the registry at ${registration.registry}; this one was reached at ` +
        `${here.join(", ")} (a relaying registry, or a port forward not given to --public-address)`,
    );
  }
}

function canonical(address: string): string {
  try {
    return formatNetAddr(parseHostPort(address));
  } catch {
    return address; // not an address: matches nothing
  }
}
