/**
 * The usual end-to-end setup in one place: a temp directory, a registry
 * process, and peer processes started by name (each with its own data
 * directory), all stopped together on dispose.
 */

import { PeerProcess, type PeerStartOptions, RegistryProcess } from "./processes.ts";
import { tempDir } from "./temp_dir.ts";

/** A registry and the peers started against it. */
export class TestNetwork implements AsyncDisposable {
  readonly registry: RegistryProcess;
  readonly dir: string;
  readonly #cleanup: AsyncDisposable;
  readonly #peers: PeerProcess[] = [];

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
   * Starts a peer named `name`. Its data directory is `<dir>/<dataDir ?? name>`,
   * so starting the same name again restarts the same identity.
   */
  async peer(
    name: string,
    options: Partial<Omit<PeerStartOptions, "dataDir">> & { dataDir?: string } = {},
  ): Promise<PeerProcess> {
    const peer = await PeerProcess.start(name, {
      registry: this.registry.address,
      ...options,
      dataDir: `${this.dir}/${options.dataDir ?? name}`,
    });
    this.#peers.push(peer);
    return peer;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#peers.map((peer) => peer[Symbol.asyncDispose]()));
    await this.registry[Symbol.asyncDispose]();
    await this.#cleanup[Symbol.asyncDispose]();
  }
}
