/** Small process-level helpers for the commands: output and signals. */

import { readLines } from "../streams/mod.ts";

const encoder = new TextEncoder();

/** Writes `text` and a newline to stdout, completely. */
export function printLine(text: string): void {
  writeAll(Deno.stdout, text + "\n");
}

/** Writes `text` and a newline to stderr, completely. */
export function printError(text: string): void {
  writeAll(Deno.stderr, text + "\n");
}

function writeAll(target: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += target.writeSync(bytes.subarray(offset));
}

/** True for the errors binding an address in use (or not on this machine) gives. */
export function isAddressTaken(error: unknown): error is Error {
  return error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable;
}

/**
 * Resolves on the first SIGINT or SIGTERM (SIGINT and SIGBREAK on Windows),
 * then stops listening for them, so a second Ctrl-C kills the process as usual.
 */
export function onShutdownSignal(): Promise<Deno.Signal> {
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  return new Promise((resolve) => {
    const handlers = signals.map((signal) => {
      const handler = () => {
        for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
        resolve(signal);
      };
      Deno.addSignalListener(signal, handler);
      return [signal, handler] as const;
    });
  });
}

/** Lines of standard input, without their line endings, until it ends. */
export function stdinLines(): ReadableStream<string> {
  return readLines(Deno.stdin.readable);
}
