/**
 * A packet capture on a lab interface with `tcpdump` (Debian's package),
 * written to a pcap file: the raw bytes, to search for plaintext, and
 * tcpdump's one-line-per-packet reading of them, to check who sent what.
 */

import { readLines } from "../../streams/mod.ts";
import { inNetns, run } from "./netns.ts";

/** What a finished capture holds. */
export interface CaptureResult {
  /** The pcap file's bytes (whole packets: snap length 0). */
  pcap: Uint8Array;
  /** `tcpdump -nn -r` of the file: one line per packet, addresses as numbers. */
  packets: string[];
}

/** A running capture; `stop()` ends it and returns what it saw. */
export class BridgeCapture implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #file: string;
  readonly #stderr: Promise<string>;
  #result: Promise<CaptureResult> | undefined;

  private constructor(child: Deno.ChildProcess, file: string, stderr: Promise<string>) {
    this.#child = child;
    this.#file = file;
    this.#stderr = stderr;
  }

  /**
   * Starts tcpdump on `device` inside `netns`, writing to `file`, with an
   * optional pcap `filter` (e.g. `"tcp port 7070"`). Resolves once tcpdump
   * says it is listening, so nothing sent afterwards is missed.
   */
  static async start(
    netns: string,
    device: string,
    options: { file: string; filter?: string },
  ): Promise<BridgeCapture> {
    // --immediate-mode hands each packet over as it arrives (without it,
    // libpcap batches them in its ring and a stop loses the batch being
    // filled); -U writes each one to the file at once. Together, stopping
    // loses nothing.
    const tcpdumpArgs = [
      "-i",
      device,
      "-n",
      "--immediate-mode",
      "-U",
      "-s",
      "0",
      "-w",
      options.file,
    ];
    if (options.filter) tcpdumpArgs.push(options.filter);
    const [command, args] = inNetns(netns, "tcpdump", tcpdumpArgs);
    const child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let listening!: () => void;
    const started = new Promise<void>((resolve) => listening = resolve);
    const stderr = (async () => {
      let text = "";
      for await (const line of readLines(child.stderr)) {
        text += line + "\n";
        if (line.includes("listening on")) listening();
      }
      return text;
    })();
    const capture = new BridgeCapture(child, options.file, stderr);
    const outcome = await Promise.race([
      started.then(() => "listening" as const),
      child.status.then(() => "exited" as const),
    ]);
    if (outcome === "exited") {
      throw new Error(`tcpdump on ${device} in ${netns} did not start: ${(await stderr).trim()}`);
    }
    return capture;
  }

  /** Ends the capture (SIGINT, so tcpdump closes the file properly) and reads it. */
  stop(): Promise<CaptureResult> {
    this.#result ??= this.#finish();
    return this.#result;
  }

  async #finish(): Promise<CaptureResult> {
    try {
      this.#child.kill("SIGINT");
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // exited already
    }
    await this.#child.status;
    await this.#stderr;
    const pcap = await Deno.readFile(this.#file);
    const packets = (await run("tcpdump", ["-nn", "-r", this.#file])).split("\n").filter(Boolean);
    return { pcap, packets };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop().catch(() => {});
  }
}
