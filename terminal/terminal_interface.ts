/**
 * The interactive terminal chat. Incoming lines are printed above the prompt
 * and the line being typed is redrawn intact, so nothing garbles the input.
 */

// Loaded when the interface starts: Node compatibility modules cost tens of
// milliseconds to load, which the registry and --json peers need not pay.
import type * as Readline from "node:readline";
import { type PeerInfo, shortId } from "../protocol/mod.ts";
import {
  CommandError,
  type HistoryEntry,
  type LinkPath,
  type OutboxEntry,
  type Peer,
  PeerError,
  type PeerEvent,
  runCommand,
  type StoredMessage,
} from "../peer/mod.ts";
import { parseTerminalLine, TERMINAL_HELP } from "./terminal_commands.ts";
import { visibleEvent } from "./visible_event.ts";
import { clock, preview, underSender } from "./message_text.ts";
import { ReceiptLines } from "./receipt_lines.ts";
import { roomLine, roomList } from "./room_lines.ts";
import { RefusalLines } from "./refusal_lines.ts";
import { RegistryNotices } from "./registry_notices.ts";
import { FileLines } from "./file_lines.ts";

/** Streams and switches for {@linkcode TerminalInterface}. */
export interface TerminalOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** ANSI colours. Default: when output is a terminal and `NO_COLOR` is unset. */
  color?: boolean;
  /** Clock in ms, for the pacing of repeated notices (tests). Default `Date.now`. */
  now?: () => number;
  /**
   * Whether printing a message marks it read (the sender gets a receipt).
   * Default true; false when a web window runs beside the terminal, which
   * then decides: a message printed here while the person looked at the
   * browser must not count as read there.
   */
  marksRead?: boolean;
}

/** Renders peer events for people and reads their commands. */
export class TerminalInterface {
  readonly #output: TerminalOptions["output"];
  readonly #input: TerminalOptions["input"];
  readonly #color: boolean;
  readonly #tty: boolean;
  #readline: typeof Readline | undefined;
  #rl: Readline.Interface | undefined;
  #peer: Peer | undefined;
  #chatWith: string | undefined;
  readonly #registryNotices: RegistryNotices;
  readonly #receipts: ReceiptLines;
  readonly #refusals: RefusalLines;
  readonly #marksRead: boolean;
  #outboxIndex: Map<string, StoredMessage[]> | undefined;
  readonly #files: FileLines;
  /** The transfer whose progress line is the last line printed (rewritten in place). */
  #progressShown: string | undefined;

  constructor(options: TerminalOptions) {
    this.#registryNotices = new RegistryNotices({ now: options.now });
    this.#receipts = new ReceiptLines({
      pending: (id) => {
        const copies = this.#outboxById().get(id);
        if (!copies) return undefined;
        const { text, broadcast } = copies[0];
        // A room post's copies are summed up like a broadcast's.
        return { text, broadcast: broadcast || copies.length > 1, recipients: copies.length };
      },
      stored: async (id, peerId) => {
        const recent = await this.#peer?.conversation(peerId, STORED_LOOKBACK);
        return recent?.find((m) => m.id === id && m.direction === "out");
      },
      print: (line) => this.#print(line),
      paint: (style, text) => this.#paint(style === "dim" ? "2" : "33", text),
    });
    this.#refusals = new RefusalLines({
      print: (line) => this.#print(line),
      warn: (text) => this.#paint("33", text),
    });
    this.#marksRead = options.marksRead ?? true;
    this.#files = new FileLines({ now: options.now });
    this.#output = options.output;
    this.#input = options.input;
    this.#tty = options.output.isTTY === true;
    this.#color = options.color ?? (this.#tty && !Deno.env.get("NO_COLOR"));
  }

  /**
   * The outbox by message ID. Built once per burst of events (a link coming
   * up sends the whole queue at once), not once per event.
   */
  #outboxById(): Map<string, StoredMessage[]> {
    if (this.#outboxIndex) return this.#outboxIndex;
    const index = new Map<string, StoredMessage[]>();
    for (const message of this.#peer?.pending() ?? []) {
      const copies = index.get(message.id);
      if (copies) copies.push(message);
      else index.set(message.id, [message]);
    }
    this.#outboxIndex = index;
    queueMicrotask(() => this.#outboxIndex = undefined);
    return index;
  }

  /** Prints what an event means to a person. */
  render(event: PeerEvent): void {
    // Other people's text must not act on the terminal (fake lines, window titles).
    const visible = visibleEvent(event);
    switch (visible.event) {
      case "sent":
      case "pending":
      case "delivered":
      case "read":
      case "failed":
        return this.#receipts.render(visible);
      case "file_progress":
        return this.#printProgress(visible);
      case "refused":
        return this.#refusals.render(visible);
    }
    const line = this.#describe(visible);
    if (line !== undefined) this.#print(line);
    if (event.event === "message" && this.#marksRead) {
      // Shown to the user: that is what "read" means here.
      this.#peer?.markRead(event.id).catch((error) => {
        if (!(error instanceof PeerError)) throw error;
        if (error.code === "already_read") return; // another window showed it first
        this.#print(this.#paint("33", `! ${error.message}`));
      });
    }
  }

  /** Reads lines until `/quit` or end of input. */
  async run(peer: Peer): Promise<void> {
    this.#peer = peer;
    const readline = this.#readline ??= await import("node:readline");
    const rl = readline.createInterface({
      input: this.#input,
      output: this.#output,
      terminal: this.#tty,
      prompt: this.#promptText(),
    });
    this.#rl = rl;
    // Prompts only make sense to a person at a terminal, not in a pipe.
    if (this.#tty) rl.prompt();
    try {
      for await (const line of rl) {
        if (!await this.#handle(peer, line)) break;
        rl.setPrompt(this.#promptText());
        if (this.#tty) rl.prompt();
      }
    } finally {
      this.#receipts[Symbol.dispose]();
      this.#refusals[Symbol.dispose]();
      this.#rl = undefined;
      rl.close();
    }
  }

  async #handle(peer: Peer, line: string): Promise<boolean> {
    let input;
    try {
      input = parseTerminalLine(line, this.#chatWith);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      this.#print(this.#paint("33", `! ${error.message}`));
      return true;
    }
    switch (input.kind) {
      case "nothing":
        return true;
      case "help":
        this.#print(TERMINAL_HELP);
        return true;
      case "chat":
        if (input.with !== undefined && !peer.findPeer(input.with)) {
          this.#print(
            this.#paint(
              "33",
              `! No peer named ${JSON.stringify(input.with)} is known (see /peers)`,
            ),
          );
          return true;
        }
        this.#chatWith = input.with && peer.findPeer(input.with)?.name;
        this.#print(
          this.#chatWith
            ? `* chatting with ${this.#chatWith}; /chat alone to stop`
            : "* chat ended",
        );
        return true;
      case "command": {
        if (input.command.cmd === "quit") return false;
        const answer = await runCommand(peer, input.command);
        if (answer) this.render(answer);
        return true;
      }
    }
  }

  #promptText(): string {
    return this.#chatWith ? `[${this.#chatWith}]> ` : "> ";
  }

  #describe(event: PeerEvent): string | undefined {
    const dim = (text: string) => this.#paint("2", text);
    switch (event.event) {
      case "ready":
        return `p2pchat — you are ${event.name} (${
          shortId(event.id)
        }), listening on ${event.listen}. ` +
          `Type /help for commands.`;
      case "registered": {
        const line = this.#registryNotices.line(event);
        return line && dim(line);
      }
      case "registry_found":
        return dim(`* found registry ${event.registry} on the LAN ("${event.instance}")`);
      case "registry_lost":
      case "registry_retry": {
        const line = this.#registryNotices.line(event);
        return line && this.#paint("33", line);
      }
      case "peers":
        return this.#peerList(event.peers, event.links ?? {});
      case "link":
        // Direct links are the usual case; only the detours are worth a line.
        if (event.path === "punched") return dim(`* link to ${event.peer.name}: hole punched`);
        if (event.path === "relayed") {
          return dim(
            `* link to ${event.peer.name}: relayed by the registry, still end-to-end encrypted`,
          );
        }
        return undefined;
      case "peer_joined":
        return dim(`* ${event.peer.name} joined`);
      case "peer_updated":
        return dim(
          event.peer.name === event.previous.name
            ? `* ${event.peer.name} is now at ${event.peer.address}`
            : `* ${event.previous.name} is now called ${event.peer.name}`,
        );
      case "peer_left":
        return dim(`* ${event.peer.name} left (${event.reason})`);
      case "message": {
        const who = event.unverified
          ? { name: `${event.from.name} (unverified key ${shortId(event.from.id)})`, color: "31" }
          : { name: event.from.name, color: "1" };
        return this.#message(event.sentAt, who, event.room?.name ?? event.broadcast, event.text);
      }
      case "room":
        return roomLine(event);
      case "rooms":
        return roomList(event.rooms);
      case "room_history":
        if (event.messages.length === 0) return `* no messages in #${event.room.name} yet`;
        return [
          `* history of #${event.room.name}:`,
          ...event.messages.map((m) =>
            this.#message(
              m.sentAt,
              { name: m.direction === "out" ? "you" : m.from.name, color: "1" },
              event.room.name,
              m.text + (m.direction === "out" ? STATUS_MARKS[m.status] ?? "" : ""),
              "  ",
            )
          ),
        ].join("\n");
      case "sent":
      case "pending":
      case "delivered":
      case "read":
      case "failed":
      case "refused":
        return undefined; // ReceiptLines and RefusalLines speak for these
      case "marked_read":
        return undefined; // the terminal marks what it prints; nothing to add
      case "history":
        return this.#history(event.with, event.messages, event.unverified);
      case "outbox":
        return this.#outbox(event.messages);
      case "key_changed":
        return this.#paint(
          "31",
          `! ${event.name} now has a different key (${shortId(event.oldId)} → ${
            shortId(event.newId)
          }). Nothing is delivered to it, and what it sends is marked unverified, until you ` +
            `check with them and type /trust ${event.name} ${shortId(event.newId)}`,
        );
      case "trusted":
        return `* trusted ${event.peer.name}'s key ${shortId(event.peer.id)}`;
      case "error":
        return this.#paint("33", `! ${event.message}`);
      case "web":
        return `* chat window: ${event.url}`;
      case "file_offer":
        return this.#files.offer(event, event.id.slice(0, 8));
      case "file_offered":
        return this.#files.offered(event);
      case "file_progress":
        return undefined; // #printProgress
      case "file_done": {
        const transfer = this.#transfer(event.id);
        return this.#files.done(event, transfer?.name ?? event.id, transfer?.direction === "in");
      }
      case "file_failed":
        return this.#paint("33", this.#files.failed(event, this.#fileName(event.id)));
      case "file_declined":
        return this.#files.declined(this.#fileName(event.id));
      case "files":
        return this.#files.list(event.transfers);
      case "bye":
        return dim("* bye");
    }
  }

  #peerList(peers: PeerInfo[], links: Record<string, LinkPath>): string {
    if (peers.length === 0) return "* nobody else is online";
    const rows = peers.map((p) =>
      `  ${p.name.padEnd(20)} ${shortId(p.id)}  ${p.address}` +
      (links[p.id] ? `  (${links[p.id]})` : "")
    );
    return [`* ${peers.length} online:`, ...rows].join("\n");
  }

  /**
   * `HH:MM who: text`, with `→ all` for a broadcast (`→ #ROOM` for a room
   * message, whose room `to` names) and later lines under the first.
   */
  #message(
    sentAt: number,
    who: { name: string; color: string },
    broadcast: boolean | string,
    text: string,
    indent = "",
  ): string {
    const to = typeof broadcast === "string" ? ` → #${broadcast}` : broadcast ? " → all" : "";
    const prefix = `${indent}${clock(sentAt)} ${who.name}${to}: `;
    const styled = `${indent}${this.#paint("2", clock(sentAt))} ${
      this.#paint(who.color, who.name)
    }${to && this.#paint("2", to)}: `;
    return underSender(styled, prefix.length, text);
  }

  #outbox(messages: OutboxEntry[]): string {
    if (messages.length === 0) return "* outbox empty: everything was delivered";
    const handles = shortestUniquePrefixes(messages.map((m) => m.id), OUTBOX_ID_CHARS);
    return [
      `* ${messages.length} undelivered (withdraw one with /cancel ID):`,
      ...messages.map((m) => `  ${handles.get(m.id)}  to ${m.to.name}: ${preview(m.text)}`),
    ].join("\n");
  }

  #history(withPeer: PeerInfo, messages: HistoryEntry[], unverified: boolean): string {
    if (messages.length === 0) return `* no messages with ${withPeer.name} yet`;
    const heading = unverified
      ? this.#paint(
        "31",
        `* history with ${withPeer.name} (unverified key ${shortId(withPeer.id)}, ` +
          `not the one pinned for that name):`,
      )
      : `* history with ${withPeer.name}:`;
    return [
      heading,
      ...messages.map((m) => {
        const who = { name: m.direction === "out" ? "you" : withPeer.name, color: "1" };
        const mark = m.direction === "out" ? STATUS_MARKS[m.status] ?? "" : "";
        return this.#message(m.sentAt, who, m.broadcast, m.text + mark, "  ");
      }),
    ].join("\n");
  }

  #transfer(id: string) {
    return this.#peer?.files().find((t) => t.id === id);
  }

  #fileName(id: string): string {
    return this.#transfer(id)?.name ?? id.slice(0, 8);
  }

  /**
   * A transfer's progress line. At a terminal, a line that follows the same
   * transfer's previous one replaces it (cursor up, clear, rewrite) and the
   * prompt with what is typed is redrawn under it; in a pipe, progress is
   * left out (the end of the transfer is said anyway).
   */
  #printProgress(event: Extract<PeerEvent, { event: "file_progress" }>): void {
    const line = this.#files.progress(event, this.#fileName(event.id));
    const rl = this.#rl;
    const readline = this.#readline;
    if (!rl || !readline || !this.#tty) return;
    readline.cursorTo(this.#output, 0);
    readline.clearLine(this.#output, 0);
    if (this.#progressShown === event.id) {
      readline.moveCursor(this.#output, 0, -1);
      readline.clearLine(this.#output, 0);
    }
    this.#output.write(line + "\n");
    this.#progressShown = event.id;
    rl.prompt(true);
  }

  /** Prints above the prompt, then redraws the prompt and the typed line. */
  #print(text: string): void {
    this.#progressShown = undefined;
    const rl = this.#rl;
    const readline = this.#readline;
    if (rl && readline && this.#tty) {
      readline.cursorTo(this.#output, 0);
      readline.clearLine(this.#output, 0);
      this.#output.write(text + "\n");
      rl.prompt(true);
    } else {
      this.#output.write(text + "\n");
    }
  }

  #paint(code: string, text: string): string {
    return this.#color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
}

/** How an outgoing message's status shows in history. */
const STATUS_MARKS: Record<string, string> = {
  delivered: " ✓",
  read: " ✓✓",
  failed: " ✗",
  pending: " ⏳",
};

/** How far back history is searched for a receipt's message sent in an earlier run. */
const STORED_LOOKBACK = 200;

/** Fewest ID characters /outbox shows (message IDs start with their time, so more are often needed). */
const OUTBOX_ID_CHARS = 8;

/** For each ID, its shortest prefix of at least `min` characters that no other ID starts with. */
function shortestUniquePrefixes(ids: string[], min: number): Map<string, string> {
  const distinct = [...new Set(ids)];
  return new Map(distinct.map((id) => {
    let length = min;
    while (
      length < id.length && distinct.some((o) => o !== id && o.startsWith(id.slice(0, length)))
    ) {
      length++;
    }
    return [id, id.slice(0, length)];
  }));
}
