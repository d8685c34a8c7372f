/** The registry under test, in its own process (see bench/registry_host.ts). */

import { type HostPort, parseHostPort } from "../../protocol/mod.ts";
import type { RegistryOptions, RegistryStats } from "../../registry/mod.ts";
import { HostProcess } from "./host_process.ts";

const SCRIPT = new URL("../registry_host.ts", import.meta.url);

/** Limits raised so that load from one loopback IP is not mistaken for abuse. */
export const BENCH_LIMITS: Omit<RegistryOptions, "logger"> = {
  registrationsPerMinutePerIp: 10_000_000,
  maxUnregisteredPerIp: 100_000,
  maxUnregistered: 100_000,
  maxPeersPerNetwork: 100_000,
  maxPeers: 100_000,
};

/** What a registry process answers `stats` with. */
export interface RegistryMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  stats: RegistryStats;
}

/** A registry process. */
export class RegistryHost implements AsyncDisposable {
  readonly address: HostPort;
  readonly #process: HostProcess;
  /** The V8 flags the registry process runs with. */
  readonly v8Flags: string[];

  private constructor(process: HostProcess, v8Flags: string[]) {
    this.#process = process;
    this.v8Flags = v8Flags;
    this.address = parseHostPort(String(process.hello.listening));
  }

  static async start(options: Omit<RegistryOptions, "logger"> = {}): Promise<RegistryHost> {
    const v8Flags = [
      "--expose-gc",
      ...(Deno.env.get("BENCH_V8") ? Deno.env.get("BENCH_V8")!.split(",") : []),
    ];
    const process = await HostProcess.start(SCRIPT, [
      JSON.stringify({ ...BENCH_LIMITS, ...options }),
    ], v8Flags);
    return new RegistryHost(process, v8Flags);
  }

  get pid(): number {
    return this.#process.pid;
  }

  /** Counters and memory (`Deno.memoryUsage()`), after a full GC. */
  async stats(): Promise<RegistryMemory> {
    await this.#process.request("gc");
    return await this.#process.request("stats");
  }

  /** Writes a V8 heap snapshot of the registry to `path` (for finding what a peer costs). */
  async heapSnapshot(path: string): Promise<string> {
    await this.#process.request("gc");
    return (await this.#process.request<{ heap: string }>(`heap ${path}`)).heap;
  }

  kill(): Promise<void> {
    return this.#process.kill();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#process[Symbol.asyncDispose]();
  }
}
