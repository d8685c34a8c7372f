/**
 * An established link's messages, sealed: every frame is AES-256-GCM over a
 * JSON array of messages, with a per-direction counter as the nonce. The
 * counter is never sent — both sides know which frame comes next — so a
 * frame that was tampered with, replayed, dropped or reordered fails to open
 * and ends the link.
 *
 * Messages queued in the same tick share one frame: one seal per batch
 * instead of one per message keeps pipelined chat fast.
 *
 * A message with a `data` field of bytes (a file chunk) is sealed alone, as a
 * binary frame: its plaintext is a zero byte (a JSON batch starts with `[`),
 * the header's length (uint32, big-endian), the header — the message without
 * `data`, as JSON — and then the bytes themselves. Bytes never go through
 * base64 or JSON, which would cost a third more on the wire and a parse.
 */

import { waitAtMost } from "../async/mod.ts";
import { ProtocolError } from "./errors.ts";
import { type FrameKey, openWith, sealWith } from "./frame_key.ts";
import { encodeFrame } from "./frame_codec.ts";
import type { FrameStream } from "./frame_stream.ts";
import { MAX_JSON_DEPTH, nestingExceeds } from "./message_channel.ts";
import type { Parser } from "./schema.ts";

/** Plaintext per sealed frame, well inside the frame limit. */
const BATCH_BYTES = 256 * 1024;
/**
 * Frames per direction before the link must be replaced. GCM with a 96-bit
 * counter nonce is safe far beyond this; the cap keeps the counter exact in a
 * JavaScript number.
 */
const MAX_FRAMES = 2 ** 48;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Keys for {@linkcode SealedChannel}. */
export interface SealingKeys {
  send: FrameKey;
  receive: FrameKey;
}

/** Sends and receives `T` messages through authenticated encryption. */
export class SealedChannel<T extends object> {
  readonly stream: FrameStream;
  readonly #keys: SealingKeys;
  readonly #parse: Parser<T>;
  #sendCounter = 0;
  #receiveCounter = 0;
  #outgoing: T[] = [];
  #sealing: Promise<void> = Promise.resolve();
  #flushScheduled = false;
  #incoming: T[] = [];
  #failed: ProtocolError | undefined;

  constructor(stream: FrameStream, keys: SealingKeys, parse: Parser<T>) {
    this.stream = stream;
    this.#keys = keys;
    this.#parse = parse;
  }

  /** The next message, or `null` at the end. Throws {@linkcode ProtocolError}. */
  async receive(): Promise<T | null> {
    while (this.#incoming.length === 0) {
      const sealed = await this.stream.readFrame();
      if (sealed === null) return null;
      this.#incoming = await this.#open(sealed);
    }
    return this.#incoming.shift()!;
  }

  /**
   * True when {@linkcode receive} has more to return without waiting for the
   * network: the rest of a batch, or frames already read. Receivers use it to
   * handle everything that arrived together in one go (group commit).
   */
  hasBuffered(): boolean {
    return this.#incoming.length > 0 || this.stream.bufferedFrames > 0;
  }

  /** Queues a message; it is sealed with whatever else is queued this tick. */
  send(message: T): void {
    if (this.stream.closed) return;
    this.#outgoing.push(message);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      const batch = this.#outgoing;
      this.#outgoing = [];
      this.#sealing = this.#sealing.then(() => this.#sealAndWrite(batch));
    });
  }

  /** Resolves when everything queued so far is sealed and handed to the stream. */
  async flushed(): Promise<void> {
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    await this.#sealing;
    await this.stream.flushed();
  }

  /** Says why (sealed, so only the real peer can read it), then closes. */
  async refuse(error: ProtocolError): Promise<void> {
    this.send(
      { type: "error", code: error.code, message: error.message.slice(0, 1024) } as unknown as T,
    );
    // Wait for the error to be sealed and written (not just for an empty
    // queue: sealing is asynchronous), but never longer than a second.
    await waitAtMost(this.flushed(), 1000);
    this.stream.close();
  }

  close(): void {
    this.stream.close();
  }

  async #sealAndWrite(batch: T[]): Promise<void> {
    for (const plaintext of plaintexts(batch)) {
      if (this.stream.closed) return;
      // Small frames are sealed on this thread, without waiting for a turn.
      const sealing = sealWith(this.#keys.send, nonce(this.#nextSendCounter()), plaintext);
      const sealed = sealing instanceof Uint8Array ? sealing : await sealing;
      this.stream.writeFrame(encodeFrame(sealed));
    }
  }

  #nextSendCounter(): number {
    if (this.#sendCounter >= MAX_FRAMES) throw new RangeError("Link used up its nonces; reconnect");
    return this.#sendCounter++;
  }

  async #open(sealed: Uint8Array): Promise<T[]> {
    if (this.#failed) throw this.#failed;
    const counter = this.#receiveCounter++;
    let plaintext: Uint8Array;
    try {
      const opening = openWith(
        this.#keys.receive,
        nonce(counter),
        sealed as Uint8Array<ArrayBuffer>,
      );
      plaintext = opening instanceof Uint8Array ? opening : await opening;
    } catch {
      this.#failed = new ProtocolError(
        "bad_ciphertext",
        `Sealed frame #${counter} failed authentication: tampered with, replayed or out of order`,
      );
      throw this.#failed;
    }
    if (plaintext[0] === BINARY_MARK) return [this.#openBinary(plaintext, counter)];
    let values: unknown;
    try {
      const text = decoder.decode(plaintext);
      // One level more than a message may have: the array around the batch.
      if (nestingExceeds(text, MAX_JSON_DEPTH + 1)) throw new RangeError("nested too deep");
      values = JSON.parse(text);
    } catch {
      throw new ProtocolError("bad_json", `Sealed frame #${counter} does not hold a JSON batch`);
    }
    if (!Array.isArray(values) || values.length === 0) {
      throw new ProtocolError(
        "invalid_message",
        `Sealed frame #${counter} must hold a non-empty array`,
      );
    }
    return values.map((value) => this.#parse(value, ""));
  }

  /** A binary frame's one message: its JSON header with the bytes after it as `data`. */
  #openBinary(plaintext: Uint8Array, counter: number): T {
    const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
    const headerLength = plaintext.length >= 5 ? view.getUint32(1) : Infinity;
    if (5 + headerLength > plaintext.length || headerLength > MAX_BINARY_HEADER_BYTES) {
      throw new ProtocolError(
        "invalid_message",
        `Sealed binary frame #${counter} announces a header it does not hold`,
      );
    }
    let header: unknown;
    try {
      const text = decoder.decode(plaintext.subarray(5, 5 + headerLength));
      if (nestingExceeds(text, MAX_JSON_DEPTH)) throw new RangeError("nested too deep");
      header = JSON.parse(text);
    } catch {
      throw new ProtocolError("bad_json", `Sealed binary frame #${counter} has no JSON header`);
    }
    if (typeof header !== "object" || header === null || Array.isArray(header)) {
      throw new ProtocolError(
        "invalid_message",
        `Sealed binary frame #${counter} must have an object as its header`,
      );
    }
    return this.#parse({ ...header, data: plaintext.subarray(5 + headerLength) }, "");
  }
}

/** First plaintext byte of a binary frame; a JSON batch's is `[`. */
const BINARY_MARK = 0;
/** Longest header a binary frame may have (a chunk's is under 100 bytes). */
const MAX_BINARY_HEADER_BYTES = 4096;

/**
 * The plaintexts of a batch, in order: JSON messages grouped by size, and
 * each message carrying bytes in `data` alone, as a binary frame.
 */
function plaintexts<T extends object>(batch: T[]): Uint8Array<ArrayBuffer>[] {
  const out: Uint8Array<ArrayBuffer>[] = [];
  let pending: string[] = [];
  const flushJson = () => {
    for (const group of groupByLength(pending)) out.push(encoder.encode(`[${group.join(",")}]`));
    pending = [];
  };
  for (const message of batch) {
    const data = (message as { data?: unknown }).data;
    if (!(data instanceof Uint8Array)) {
      pending.push(JSON.stringify(message));
      continue;
    }
    flushJson();
    const header = encoder.encode(JSON.stringify({ ...message, data: undefined }));
    const plaintext = new Uint8Array(5 + header.length + data.length);
    plaintext[0] = BINARY_MARK;
    new DataView(plaintext.buffer).setUint32(1, header.length);
    plaintext.set(header, 5);
    plaintext.set(data, 5 + header.length);
    out.push(plaintext);
  }
  flushJson();
  return out;
}

/** The 96-bit GCM nonce for frame `counter`: four zero bytes, then the counter. */
function nonce(counter: number): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(12);
  const view = new DataView(iv.buffer);
  view.setUint32(4, Math.floor(counter / 2 ** 32));
  view.setUint32(8, counter >>> 0);
  return iv;
}

/** Groups encoded messages so no sealed frame's plaintext exceeds {@linkcode BATCH_BYTES}. */
function groupByLength(encoded: string[]): string[][] {
  const groups: string[][] = [];
  let group: string[] = [];
  let size = 0;
  for (const json of encoded) {
    // UTF-16 length × 3 bounds the UTF-8 length.
    const length = json.length * 3;
    if (group.length > 0 && size + length > BATCH_BYTES) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(json);
    size += length;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
