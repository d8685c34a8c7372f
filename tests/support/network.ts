/**
 * The usual end-to-end setup in one place: a temp directory, a registry
 * process, and peer processes (`--json` or terminal) started by name, each
 * with its own data directory, all stopped together on dispose.
 */

import {
  PeerProcess,
  type PeerStartOptions,
  RegistryProcess,
  type RoleProcess,
  TerminalPeerProcess,
} from "./processes.ts";
import { tempDir } from "./temp_dir.ts";

/** How to start a peer on a {@linkcode TestNetwork}: `dataDir` is relative to its directory. */
export type NetworkPeerOptions = Partial<Omit<PeerStartOptions, "dataDir">> & { dataDir?: string };

/** A registry and the peers started against it. */
export class TestNetwork implements AsyncDisposable {
  readonly registry: RegistryProcess;
  readonly dir: string;
  readonly #cleanup: AsyncDisposable;
  readonly #peers: RoleProcess[] = [];

  private constructor(registry: RegistryProcess, dir: string, cleanup: AsyncDisposable) {
    this.registry = registry;
    this.dir = dir;
    this.#cleanup = cleanup;
  }

  /** Starts a registry (extra flags in `registryArgs`) in a fresh temp directory. */
  static async start(registryArgs: string[] = []): Promise<TestNetwork> {
    const dir = await tempDir();
    try {
      return new TestNetwork(await RegistryProcess.start(registryArgs), dir.path, dir);
    } catch (error) {
      await dir[Symbol.asyncDispose]();
      throw error;
    }
  }

  /**
   * Starts a `--json` peer named `name`. Its data directory is
   * `<dir>/<dataDir ?? name>`, so starting the same name again restarts the
   * same identity. A test may quit or dispose a peer early (to restart it, or
   * to free its name): the network's own dispose of it then does nothing more.
   */
  async peer(name: string, options: NetworkPeerOptions = {}): Promise<PeerProcess> {
    return this.#own(await PeerProcess.start(name, this.#startOptions(name, options)));
  }

  /** Starts a peer running the terminal chat, as {@linkcode TestNetwork.peer} does. */
  async terminalPeer(
    name: string,
    options: NetworkPeerOptions = {},
  ): Promise<TerminalPeerProcess> {
    return this.#own(await TerminalPeerProcess.start(name, this.#startOptions(name, options)));
  }

  #startOptions(name: string, options: NetworkPeerOptions): PeerStartOptions {
    return {
      registry: this.registry.address,
      ...options,
      dataDir: `${this.dir}/${options.dataDir ?? name}`,
    };
  }

  #own<P extends RoleProcess>(peer: P): P {
    this.#peers.push(peer);
    return peer;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#peers.map((peer) => peer[Symbol.asyncDispose]()));
    await this.registry[Symbol.asyncDispose]();
    await this.#cleanup[Symbol.asyncDispose]();
  }
}
