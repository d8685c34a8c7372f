/**
 * Where a peer started without `--registry` looks for one: 127.0.0.1:7070
 * first, then the LAN (mDNS). The {@linkcode RegistryClient} asks before
 * every connection attempt, so a registry that appears or moves later is
 * found too.
 */

import { type FoundRegistry, queryLan } from "../discovery/mod.ts";
import { formatHostPort, type HostPort } from "../protocol/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";

/** The registry a peer tries first when none is configured. */
export const LOCAL_REGISTRY: HostPort = { hostname: "127.0.0.1", port: 7070 };

/** Options for {@linkcode RegistryDiscovery}. */
export interface RegistryDiscoveryOptions {
  /** Told when the LAN names a registry other than the one it named last. */
  found: (found: FoundRegistry) => void;
  /** Asks the LAN (default {@linkcode queryLan}); tests may narrow it. */
  query?: () => Promise<FoundRegistry | undefined>;
  logger?: Logger;
}

/** Chooses the registry for each connection attempt. */
export class RegistryDiscovery {
  readonly #options: RegistryDiscoveryOptions;
  #askLanNext = false;
  #lastFound: string | undefined;

  constructor(options: RegistryDiscoveryOptions) {
    this.#options = options;
  }

  /**
   * The registry to try now. The first attempt, and the first after a
   * registry found on the LAN is lost, goes to 127.0.0.1:7070; the others ask
   * the LAN and fall back to 127.0.0.1:7070 when nobody answers.
   */
  async next(): Promise<HostPort> {
    if (!this.#askLanNext) {
      this.#askLanNext = true;
      return LOCAL_REGISTRY;
    }
    const logger = this.#options.logger ?? silentLogger;
    const found = await (this.#options.query ?? queryLan)();
    if (!found) {
      logger.info("no registry answered on the LAN", { service: "_p2pchat._tcp.local" });
      return LOCAL_REGISTRY;
    }
    this.#askLanNext = false;
    const text = formatHostPort(found.registry);
    if (text !== this.#lastFound) {
      this.#lastFound = text;
      this.#options.found(found);
    }
    return found.registry;
  }
}
