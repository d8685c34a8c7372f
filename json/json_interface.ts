/**
 * The `--json` interface for scripts, bots and tests: one command object per
 * line on stdin, one event object per line on stdout, nothing else on stdout.
 */

import { CommandError, type Peer, type PeerEvent, runCommand } from "../peer/mod.ts";
import { parseJsonCommand } from "./json_commands.ts";

/** Reads JSON commands and writes JSON events. */
export class JsonInterface {
  readonly #write: (line: string) => void;

  /** `write` receives each event line without its newline. */
  constructor(write: (line: string) => void) {
    this.#write = write;
  }

  /** Writes one event as one line. */
  render(event: PeerEvent): void {
    this.#write(JSON.stringify(event));
  }

  /**
   * Runs commands from `lines` in order until `quit` or the end of input
   * (closing stdin also quits). A bad line gets an `error` event; the peer
   * keeps running.
   */
  async run(peer: Peer, lines: AsyncIterable<string>): Promise<void> {
    for await (const line of lines) {
      if (line.trim() === "") continue;
      let command;
      try {
        command = parseJsonCommand(line);
      } catch (error) {
        if (!(error instanceof CommandError)) throw error;
        this.render({ event: "error", message: error.message });
        continue;
      }
      if (command.cmd === "quit") return;
      const answer = await runCommand(peer, command);
      if (answer) this.render(answer);
    }
  }
}
