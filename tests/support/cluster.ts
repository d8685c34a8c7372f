/**
 * A cluster for end-to-end tests: a real Redis (see redis_server.ts),
 * registry instances started from the bundle with `--cluster`, and peer
 * processes given any choice of instance addresses — all stopped together.
 */

import { PeerProcess, type PeerStartOptions, RegistryProcess } from "./processes.ts";
import { RedisServer } from "./redis_server.ts";
import { tempDir } from "./temp_dir.ts";

/** Registries sharing one Redis, and the peers started against them. */
export class TestCluster implements AsyncDisposable {
  readonly redis: RedisServer;
  /** Instances by name (`a`, `b`, …); a restarted one replaces its entry. */
  readonly instances = new Map<string, RegistryProcess>();
  readonly dir: string;
  readonly #cleanup: AsyncDisposable;
  readonly #peers: PeerProcess[] = [];
  readonly #retired: RegistryProcess[] = [];
  readonly #registryArgs: string[];

  private constructor(
    redis: RedisServer,
    dir: AsyncDisposable & { path: string },
    registryArgs: string[],
  ) {
    this.redis = redis;
    this.dir = dir.path;
    this.#cleanup = dir;
    this.#registryArgs = registryArgs;
  }

  /** Starts Redis and instances named `names` (extra registry flags in `registryArgs`). */
  static async start(
    names: string[],
    options: { registryArgs?: string[] } = {},
  ): Promise<TestCluster> {
    const dir = await tempDir();
    let redis: RedisServer | undefined;
    try {
      redis = await RedisServer.start();
      const cluster = new TestCluster(redis, dir, options.registryArgs ?? []);
      try {
        for (const name of names) await cluster.startInstance(name);
      } catch (error) {
        await cluster[Symbol.asyncDispose]();
        throw error;
      }
      return cluster;
    } catch (error) {
      await redis?.[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** The instance named `name`. */
  instance(name: string): RegistryProcess {
    const instance = this.instances.get(name);
    if (!instance) throw new Error(`no instance named ${name}`);
    return instance;
  }

  /** Every instance's address, comma-separated, as `--registry` takes them. */
  get addresses(): string {
    return [...this.instances.values()].map((i) => i.address).join(",");
  }

  /**
   * Starts instance `name`, or starts it again (on its old address, when
   * `sameAddress`) after it was killed.
   */
  async startInstance(
    name: string,
    options: { sameAddress?: boolean; args?: string[] } = {},
  ): Promise<RegistryProcess> {
    const old = this.instances.get(name);
    if (old) this.#retired.push(old);
    const args = [
      "--cluster",
      this.redis.url,
      "--instance",
      name,
      // Slower than other tests' 200 ms: the grace window, (3 + 1) × 500 ms + 2 s, must hold
      // a peer's move even on a machine loaded by other test processes.
      "--heartbeat-ms",
      "500",
      ...this.#registryArgs,
      ...(options.args ?? []),
    ];
    const instance = old && options.sameAddress
      ? await RegistryProcess.startAt(old.address, args)
      : await RegistryProcess.start(args);
    this.instances.set(name, instance);
    return instance;
  }

  /**
   * Starts a peer named `name` against `registry` (addresses, comma-separated;
   * default: every instance). Its data directory is `<dir>/<name>`.
   */
  async peer(
    name: string,
    options: Partial<Omit<PeerStartOptions, "dataDir">> = {},
  ): Promise<PeerProcess> {
    const peer = await PeerProcess.start(name, {
      registry: this.addresses,
      ...options,
      dataDir: `${this.dir}/${name}`,
    });
    this.#peers.push(peer);
    return peer;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#peers.map((peer) => peer[Symbol.asyncDispose]()));
    const instances = [...this.instances.values(), ...this.#retired];
    await Promise.all(instances.map((instance) => {
      instance.kill("SIGCONT"); // a frozen one must be able to die
      return instance[Symbol.asyncDispose]();
    }));
    await this.redis[Symbol.asyncDispose]();
    await this.#cleanup[Symbol.asyncDispose]();
  }
}
