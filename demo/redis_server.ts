/**
 * A throwaway Redis server: Debian's `redis-server` on a free loopback port,
 * with its files in a temp directory and no persistence, stopped (and its
 * directory removed) on dispose. It can be killed and started again on the
 * same port, empty, as an operator's restart without persistence would leave
 * it. `deno task demo --cluster` runs one; so do the cluster tests and
 * benchmarks (through tests/support/redis_server.ts).
 */

import { waitAtMost } from "../async/mod.ts";
import { readLines } from "../streams/mod.ts";

/** Where Debian puts the server; `REDIS_SERVER` overrides. */
export const REDIS_SERVER_BINARY = Deno.env.get("REDIS_SERVER") ?? "redis-server";

const READY_TIMEOUT_MS = 10_000;

/** True when a `redis-server` binary can be run here. */
export async function redisServerAvailable(): Promise<boolean> {
  try {
    const output = await new Deno.Command(REDIS_SERVER_BINARY, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return output.success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** One `redis-server` process, restartable on the same port. */
export class RedisServer implements AsyncDisposable {
  readonly port: number;
  /** The password clients must give, when started with one. */
  readonly password: string | undefined;
  readonly #dir: string;
  #child: Deno.ChildProcess | undefined;
  #output: Promise<void> | undefined;

  private constructor(port: number, dir: string, password: string | undefined) {
    this.port = port;
    this.#dir = dir;
    this.password = password;
  }

  /** The URL registries take with `--cluster` (with the password, if any). */
  get url(): string {
    const auth = this.password === undefined ? "" : `:${encodeURIComponent(this.password)}@`;
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  /** True while the server process runs. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** The OS process ID of the running server. */
  get pid(): number {
    if (!this.#child) throw new Error("Redis is not running");
    return this.#child.pid;
  }

  /** Starts a server on a free loopback port and waits until it accepts commands. */
  static async start(options: { password?: string } = {}): Promise<RedisServer> {
    const dir = await Deno.makeTempDir({ prefix: "p2pchat-redis-" });
    const server = new RedisServer(freePort(), dir, options.password);
    try {
      await server.#spawn();
    } catch (error) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw error;
    }
    return server;
  }

  /** Kills the server at once (SIGKILL): nothing it held survives. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    try {
      child.kill("SIGKILL");
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // already exited
    }
    await child.status;
    await this.#output;
  }

  /** Starts the server again on the same port, empty. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#spawn();
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server process. */
  signal(signal: "SIGSTOP" | "SIGCONT"): void {
    this.#child?.kill(signal);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }

  async #spawn(): Promise<void> {
    const child = new Deno.Command(REDIS_SERVER_BINARY, {
      args: [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        this.#dir,
        "--protected-mode",
        "yes",
        ...(this.password === undefined ? [] : ["--requirepass", this.password]),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => ready = resolve);
    let log = "";
    let isUp = false;
    const collect = async (bytes: ReadableStream<Uint8Array>) => {
      for await (const line of readLines(bytes)) {
        // Keep only the start: enough to explain a failed start, bounded for long runs.
        if (log.length < 8192) log += line + "\n";
        if (line.includes("Ready to accept connections")) {
          isUp = true;
          ready();
        }
      }
    };
    this.#output = Promise.all([collect(child.stdout), collect(child.stderr)]).then(() => {});
    await waitAtMost(Promise.race([isReady, child.status]), READY_TIMEOUT_MS);
    if (!isUp) {
      await this.kill();
      throw new Error(`redis-server on port ${this.port} did not start:\n${log}`);
    }
  }
}

/** A port that was free a moment ago (the OS picks it; we release it for Redis). */
function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}
