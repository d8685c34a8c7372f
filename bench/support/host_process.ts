/**
 * A helper process the bench drives over stdin/stdout, one JSON line per
 * answer: the registry under test, or a baseline server. Running them in
 * their own processes keeps the load generator off their event loop.
 */

import { waitAtMost } from "../../async/mod.ts";
import { readLines } from "../../streams/mod.ts";

/** A Deno script running as a child process. */
export class HostProcess implements AsyncDisposable {
  /** The first line the script printed (how it announces it is ready). */
  readonly hello: Record<string, unknown>;
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;

  private constructor(
    child: Deno.ChildProcess,
    hello: Record<string, unknown>,
    lines: AsyncIterator<string>,
  ) {
    this.#child = child;
    this.hello = hello;
    this.#writer = child.stdin.getWriter();
    this.#lines = lines;
  }

  /** Starts `script` with `args` and waits for its first line. */
  static async start(
    script: URL,
    args: string[] = [],
    v8Flags: string[] = [],
  ): Promise<HostProcess> {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...(v8Flags.length ? [`--v8-flags=${v8Flags.join(",")}`] : []),
        script.pathname,
        ...args,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = readLines(child.stdout)[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`${script.pathname} exited before it was ready`);
    return new HostProcess(child, JSON.parse(first.value), lines);
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Sends a command line and returns the JSON line it answers with. */
  async request<T>(command: string): Promise<T> {
    await this.#writer.write(new TextEncoder().encode(command + "\n"));
    const next = await this.#lines.next();
    if (next.done) throw new Error(`the helper process ended while answering "${command}"`);
    return JSON.parse(next.value);
  }

  /** Kills the process at once, as a crash would. */
  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.#finish();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#writer.write(new TextEncoder().encode("quit\n")).catch(() => {});
    if (!await waitAtMost(this.#child.status, 5000)) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    await this.#finish();
  }

  async #finish(): Promise<void> {
    await this.#child.status;
    await this.#writer.close().catch(() => {});
    while (!(await this.#lines.next()).done) { /* drain */ }
  }
}
