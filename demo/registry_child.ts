/**
 * A registry running as a child process of the demo — the same program, as
 * `p2pchat registry …` — so that the demo can SIGKILL it like any crash.
 */

import { waitAtMost } from "../async/mod.ts";
import { readLines } from "../streams/mod.ts";

const PERMISSIONS = ["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-sys"];
const START_TIMEOUT_MS = 15_000;

/** One registry process and what it printed on start. */
export class RegistryChild implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  /** Where peers reach it, as printed. */
  readonly address: string;
  /** Its dashboard's URL, as printed. */
  readonly dashboardUrl: string;
  readonly #output: Promise<void>;

  private constructor(
    child: Deno.ChildProcess,
    printed: { address: string; dashboardUrl: string },
    output: Promise<void>,
  ) {
    this.#child = child;
    this.address = printed.address;
    this.dashboardUrl = printed.dashboardUrl;
    this.#output = output;
  }

  /** Starts `p2pchat registry ARGS` and waits until it listens. */
  static async start(args: string[]): Promise<RegistryChild> {
    const [command, ...prefix] = Deno.build.standalone
      ? [Deno.execPath()]
      : [Deno.execPath(), "run", ...PERMISSIONS, new URL(Deno.mainModule).pathname];
    const child = new Deno.Command(command, {
      args: [...prefix, "registry", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const printed = { address: "", dashboardUrl: "" };
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => ready = resolve);
    let errors = "";
    const output = Promise.all([
      each(child.stdout, (line) => {
        printed.address ||= /^listening for peers on (\S+)$/.exec(line)?.[1] ?? "";
        printed.dashboardUrl ||= /^dashboard on (\S+)$/.exec(line)?.[1] ?? "";
        if (printed.address && printed.dashboardUrl) ready();
      }),
      // Its log lines: kept for a failed start, otherwise the demo's narration says enough.
      each(child.stderr, (line) => {
        if (errors.length < 4096) errors += line + "\n";
      }),
    ]).then(() => {});
    const started = await waitAtMost(Promise.race([isReady, child.status]), START_TIMEOUT_MS);
    const registry = new RegistryChild(child, printed, output);
    if (!started || !printed.dashboardUrl) {
      await registry[Symbol.asyncDispose]();
      throw new Error(`a registry did not start:\n${errors.trim()}`);
    }
    return registry;
  }

  /** Sends `signal` (SIGKILL: a crash) and waits for the process to end. */
  async kill(signal: Deno.Signal = "SIGKILL"): Promise<void> {
    try {
      this.#child.kill(signal);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // already gone
    }
    await this.#child.status;
    await this.#output;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill("SIGTERM");
  }
}

async function each(bytes: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  for await (const line of readLines(bytes)) onLine(line);
}
