/** Simulated peers spread over worker threads, driven from the bench. */

import type { HostPort } from "../../protocol/mod.ts";
import type { RawPeerReading } from "../../sim/mod.ts";
import type { SimRequest } from "../sim/sim_worker.ts";

const WORKER = new URL("../sim/sim_worker.ts", import.meta.url);

/** A set of workers, each hosting a share of the simulated peers. */
export class SimFleet implements AsyncDisposable {
  readonly #workers: Worker[];
  #nextId = 0;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  constructor(workers: number) {
    this.#workers = Array.from({ length: workers }, () => {
      const worker = new Worker(WORKER, { type: "module" });
      worker.onmessage = (event) => {
        const { id, result, error } = event.data;
        const waiter = this.#pending.get(id);
        this.#pending.delete(id);
        if (error) waiter?.reject(new Error(error));
        else waiter?.resolve(result);
      };
      return worker;
    });
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Sends `request` to every worker (or one, by index) and collects the answers. */
  ask<T>(request: SimRequest | ((worker: number) => SimRequest), only?: number): Promise<T[]> {
    const targets = only === undefined ? this.#workers.map((_, i) => i) : [only];
    return Promise.all(targets.map((index) => {
      const id = this.#nextId++;
      const message = typeof request === "function" ? request(index) : request;
      return new Promise<T>((resolve, reject) => {
        this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        this.#workers[index].postMessage({ id, request: message });
      });
    }));
  }

  /** Joins `count` peers named `prefix-N`, split across the workers. */
  async join(
    registry: HostPort,
    count: number,
    options: {
      prefix?: string;
      spreadMs?: number;
      concurrency?: number;
      reading?: RawPeerReading;
    } = {},
  ): Promise<{ joined: number; failures: number; ms: number }[]> {
    const prefix = options.prefix ?? "sim";
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    return await this.ask((worker) => ({
      op: "join",
      registry,
      names: names.filter((_, i) => i % this.#workers.length === worker),
      spreadMs: options.spreadMs,
      concurrency: options.concurrency,
      reading: options.reading,
    }));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.ask({ op: "close" }).catch(() => {});
    for (const worker of this.#workers) worker.terminate();
  }
}
