/**
 * Real registry and peer processes for end-to-end tests, started from the
 * bundle. Peers run with `--json`: tests send commands on stdin and wait for
 * events on stdout, exactly as a script would.
 */

import { Notifier } from "../../async/mod.ts";
import type { PeerEvent } from "../../peer/mod.ts";
import { readLines } from "../../streams/mod.ts";
import { bundlePath } from "./bundle.ts";
import { inNetns } from "./netns.ts";

const DEFAULT_WAIT_MS = 15_000;

/** A child process whose stdout is collected line by line (stdin piped). */
export class RoleProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<Deno.CommandStatus>;
  readonly #reading: Promise<void>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stderr = "";
  readonly #changes = new Notifier();
  #ended = false;
  #outputError: unknown;

  constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#stdin = child.stdin.getWriter();
    this.exited = child.status;
    this.#reading = Promise.all([
      this.#collect(child.stdout, (line) => this.#onLine(line)),
      this.#collect(child.stderr, (line) => this.#stderr += line + "\n"),
    ]).then(() => {}, (error) => {
      this.#outputError = error;
    }).finally(() => {
      this.#ended = true;
      // Wake waiters so they can fail fast once output has ended.
      this.#changes.notify();
    });
  }

  /** Everything the process wrote to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Writes one line to the process's stdin. */
  async writeLine(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /** Closes stdin (end of input). */
  async closeStdin(): Promise<void> {
    await this.#stdin.close().catch(() => {});
  }

  /** Sends a signal if the process is still running. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.child.kill(signal);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // already exited
    }
  }

  /** Waits for a stdout line matching `pattern` (from line `after` on). */
  async waitForLine(pattern: RegExp, after = 0, timeoutMs?: number): Promise<string> {
    return await this.until(
      () => this.lines.slice(after).find((line) => pattern.test(line)),
      `a line matching ${pattern}`,
      timeoutMs,
    );
  }

  /**
   * Waits until `test` holds for the collected output, re-checking on every
   * new line. Rejects after `timeoutMs`, or when output ends without a match.
   */
  protected async until<T>(
    test: () => T | undefined,
    what: string,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<T> {
    const found = await this.#changes.until(() => {
      const value = test();
      if (value !== undefined) return value;
      if (this.#outputError) throw this.#failure(`bad output (${this.#outputError})`);
      if (this.#ended) throw this.#failure(`output ended before ${what}`);
    }, timeoutMs);
    if (found === undefined) {
      throw this.#failure(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    return found;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.exited;
    await this.#stdin.close().catch(() => {});
    await this.#reading;
    if (this.#outputError) throw this.#outputError;
  }

  #onLine(line: string): void {
    this.lines.push(line);
    this.onLine(line);
    this.#changes.notify();
  }

  /** Hook for subclasses that parse output. */
  protected onLine(_line: string): void {}

  #failure(message: string): Error {
    const tail = this.lines.slice(-15).join("\n");
    const errors = this.#stderr.split("\n").slice(-15).join("\n");
    return new Error(
      `${message}\n--- last stdout lines:\n${tail}\n--- last stderr lines:\n${errors}`,
    );
  }

  async #collect(
    stream: ReadableStream<Uint8Array>,
    onLine: (line: string) => void,
  ): Promise<void> {
    for await (const line of readLines(stream)) onLine(line);
  }
}

/** Where a role process runs: a network namespace (see `nat_lab.ts`), or here. */
export interface SpawnOptions {
  netns?: string;
  /** Runs the process under `ulimit -n` of this many open files (EMFILE tests). */
  openFilesLimit?: number;
  /** Deno's arguments before the role; default `run --allow-all BUNDLE`. */
  denoArgs?: string[];
}

async function spawn(
  role: "registry" | "peer",
  args: string[],
  options: SpawnOptions = {},
): Promise<Deno.ChildProcess> {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([key]) => !key.startsWith("P2PCHAT_")),
  );
  const denoArgs = [
    ...options.denoArgs ?? ["run", "--allow-all", await bundlePath()],
    role,
    ...args,
  ];
  let [command, commandArgs] = options.netns
    ? inNetns(options.netns, Deno.execPath(), denoArgs)
    : [Deno.execPath(), denoArgs];
  if (options.openFilesLimit !== undefined) {
    // The limit applies to what exec starts: the role itself, not the test.
    commandArgs = [
      "-c",
      `ulimit -n ${options.openFilesLimit} && exec "$0" "$@"`,
      command,
      ...commandArgs,
    ];
    command = "bash";
  }
  return new Deno.Command(command, {
    args: commandArgs,
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** A registry process. */
export class RegistryProcess extends RoleProcess {
  /** `HOST:PORT` peers connect to, as the registry printed it. */
  address = "";
  /** The dashboard's URL, if it serves one. */
  dashboardUrl = "";
  /** The admin token it generated (or was given). */
  adminToken = "";

  /**
   * Starts a registry on a free loopback port, with its dashboard on another
   * (fast heartbeats unless overridden), inside `options.netns` if given.
   */
  static async start(args: string[] = [], options: SpawnOptions = {}): Promise<RegistryProcess> {
    const defaults = ["--listen", "127.0.0.1:0", "--heartbeat-ms", "200", "--evict-after", "3"];
    if (!args.includes("--no-dashboard") && !args.includes("--dashboard")) {
      defaults.push("--dashboard", "127.0.0.1:0");
    }
    const registry = new RegistryProcess(await spawn("registry", [...defaults, ...args], options));
    const printed = (pattern: RegExp) =>
      registry.lines.map((l) => pattern.exec(l)?.[1]).find((v) => v !== undefined);
    try {
      registry.address = await registry.until(
        () => printed(/^listening for peers on (\S+)$/),
        "the registry to listen",
      );
    } catch (error) {
      // It did not come up: collect what is left of it before saying why.
      await registry[Symbol.asyncDispose]();
      throw error;
    }
    if (!args.includes("--no-dashboard")) {
      registry.dashboardUrl = await registry.until(
        () => printed(/^dashboard on (\S+)$/),
        "the dashboard to listen",
      );
      const tokenIndex = args.indexOf("--admin-token");
      registry.adminToken = tokenIndex >= 0 ? args[tokenIndex + 1] : await registry.until(
        () => printed(/^admin token \(generated; set --admin-token to choose\): (\S+)$/),
        "the admin token",
      );
    }
    return registry;
  }

  /** Starts a registry on a given address (to restart on the same port). */
  static async startAt(address: string, args: string[] = []): Promise<RegistryProcess> {
    return await RegistryProcess.start(["--listen", address, ...args]);
  }

  /** Stops with SIGTERM and returns the exit code. */
  async stop(): Promise<number> {
    this.kill("SIGTERM");
    return (await this.exited).code;
  }
}

/** Options for {@linkcode PeerProcess.start}. */
export interface PeerStartOptions extends SpawnOptions {
  /** `HOST:PORT`; without it the peer looks for one (127.0.0.1:7070, then the LAN). */
  registry?: string;
  dataDir: string;
  args?: string[];
  /** Wait for `registered` before returning. Default true. */
  waitRegistered?: boolean;
}

/**
 * Flags every test peer gets: its name, registry, data dir, and a free port
 * on loopback (on every address inside a namespace, so the lab's network is
 * what decides who can reach it).
 */
function peerArgs(name: string, options: PeerStartOptions): string[] {
  return [
    "--name",
    name,
    ...(options.registry === undefined ? [] : ["--registry", options.registry]),
    "--data-dir",
    options.dataDir,
    "--listen",
    options.netns ? "0.0.0.0:0" : "127.0.0.1:0",
    ...(options.args ?? []),
  ];
}

/** A peer process in `--json` mode. */
export class PeerProcess extends RoleProcess {
  readonly events: PeerEvent[] = [];
  name = "";
  id = "";
  listen = "";

  static async start(name: string, options: PeerStartOptions): Promise<PeerProcess> {
    const peer = new PeerProcess(
      await spawn(
        "peer",
        ["--json", "--reconnect-max-ms", "1000", ...peerArgs(name, options)],
        options,
      ),
    );
    const ready = await peer.waitFor("ready");
    peer.name = ready.name;
    peer.id = ready.id;
    peer.listen = ready.listen;
    if (options.waitRegistered ?? true) await peer.waitFor("registered");
    return peer;
  }

  /** Sends one JSON command. */
  async command(command: Record<string, unknown>): Promise<void> {
    await this.writeLine(JSON.stringify(command));
  }

  /** Index of the next event, to wait only for events that come after now. */
  mark(): number {
    return this.events.length;
  }

  /**
   * The first event of `kind` (from `after` on) that satisfies `test`.
   * @example `await alice.waitFor("message", { test: (e) => e.text === "hi" })`
   */
  async waitFor<K extends PeerEvent["event"]>(
    kind: K,
    options: {
      test?: (event: Extract<PeerEvent, { event: K }>) => boolean;
      after?: number;
      timeoutMs?: number;
    } = {},
  ): Promise<Extract<PeerEvent, { event: K }>> {
    const after = options.after ?? 0;
    return await this.until(
      () =>
        this.events.slice(after).find((e): e is Extract<PeerEvent, { event: K }> =>
          e.event === kind && (options.test?.(e as Extract<PeerEvent, { event: K }>) ?? true)
        ),
      `"${kind}" event on peer ${this.name || "(starting)"}`,
      options.timeoutMs,
    );
  }

  /** All events of `kind` so far. */
  all<K extends PeerEvent["event"]>(kind: K): Extract<PeerEvent, { event: K }>[] {
    return this.events.filter((e): e is Extract<PeerEvent, { event: K }> => e.event === kind);
  }

  /** Sends `quit` and returns the exit code. */
  async quit(): Promise<number> {
    await this.command({ cmd: "quit" });
    return (await this.exited).code;
  }

  protected override onLine(line: string): void {
    // --json promises nothing but JSON on stdout; a stray line fails loudly.
    this.events.push(JSON.parse(line));
  }
}

/** A peer running the interactive terminal chat, driven through pipes. */
export class TerminalPeerProcess extends RoleProcess {
  static async start(name: string, options: PeerStartOptions): Promise<TerminalPeerProcess> {
    const peer = new TerminalPeerProcess(
      await spawn("peer", peerArgs(name, options), options),
    );
    await peer.waitForLine(options.waitRegistered ?? true ? /registered with/ : /^p2pchat — /);
    return peer;
  }

  /**
   * Waits for the peer list's header saying `count` peers are online (from
   * line `after` on): the sign that the registry's list has reached the chat.
   */
  async waitForOnline(count: number, after = 0): Promise<string> {
    return await this.waitForLine(new RegExp(`^\\* ${count} online:$`), after);
  }
}
