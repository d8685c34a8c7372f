/**
 * A cluster under test: a throwaway Redis and registry instances, each in
 * its own process (bench/registry_host.ts with `cluster` options), plus what
 * the engine itself reports (commands, CPU, memory) for the report.
 */

import { Redis } from "ioredis";
import type { HostPort } from "../../protocol/mod.ts";
import type { RegistryOptions } from "../../registry/mod.ts";
import { RedisServer } from "../../demo/mod.ts";
import { RegistryHost } from "./registry_process.ts";

/** The engine's counters at one moment. */
export interface EngineReading {
  /** Commands processed since Redis started (INFO stats). */
  commands: number;
  /** CPU seconds Redis used, user + system. */
  cpuSeconds: number;
  /** Bytes of memory Redis holds for data (used_memory). */
  memoryBytes: number;
}

/** Redis and `count` instances named a, b, c, … */
export class ClusterHosts implements AsyncDisposable {
  readonly redis: RedisServer;
  readonly instances: RegistryHost[];

  private constructor(redis: RedisServer, instances: RegistryHost[]) {
    this.redis = redis;
    this.instances = instances;
  }

  static async start(
    count: number,
    options: Omit<RegistryOptions, "logger" | "cluster"> = {},
  ): Promise<ClusterHosts> {
    const redis = await RedisServer.start();
    const instances: RegistryHost[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const instance = String.fromCharCode(97 + i);
        instances.push(
          await RegistryHost.start({ ...options, cluster: { url: redis.url, instance } }),
        );
      }
    } catch (error) {
      await Promise.all(instances.map((host) => host[Symbol.asyncDispose]()));
      await redis[Symbol.asyncDispose]();
      throw error;
    }
    return new ClusterHosts(redis, instances);
  }

  get addresses(): HostPort[] {
    return this.instances.map((host) => host.address);
  }

  /** What Redis reports now. The reading itself costs one command. */
  async engine(): Promise<EngineReading> {
    const client = new Redis(this.redis.url, { lazyConnect: true });
    try {
      await client.connect();
      const info = await client.info();
      const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1]);
      return {
        commands: field("total_commands_processed"),
        cpuSeconds: field("used_cpu_user") + field("used_cpu_sys"),
        memoryBytes: field("used_memory"),
      };
    } finally {
      client.disconnect();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.instances.map((host) => host[Symbol.asyncDispose]()));
    await this.redis[Symbol.asyncDispose]();
  }
}
