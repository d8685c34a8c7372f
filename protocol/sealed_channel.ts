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
 *
 * Bulk goes last. A message with bytes waits in a queue of its own and is
 * sealed only when nothing else is waiting and the stream has written what
 * it holds down to {@linkcode BULK_AHEAD_BYTES}: a chat message queued during
 * a transfer goes out ahead of every chunk not already on its way, instead
 * of behind megabytes of them. A frame's place in the stream is fixed when it
 * is sealed (the nonce counter), so the choice is made before sealing.
 *
 * Sealing and opening large frames hands the AES work to another thread
 * (WebCrypto); several are in flight at once, in both directions, and the
 * results are written and delivered in counter order. The receiver reads
 * the next frames while one is being opened, up to {@linkcode OPEN_AHEAD}.
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
 * Bulk bytes (being sealed, or sealed and not yet taken by the connection)
 * beyond which the next bulk message waits: two 512 KiB chunks, one being
 * written while the next is sealed. This, and the kernel's socket buffers,
 * is what a chat message can still find ahead of it.
 */
export const BULK_AHEAD_BYTES = 1024 * 1024;
/** Frames read ahead and being opened while the receiver handles earlier ones. */
export const OPEN_AHEAD = 4;
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
  #flushScheduled = false;
  /** Messages with bytes, sent when nothing else waits. */
  #bulk: T[] = [];
  #bulkWaiting = false;
  #bulkEmptied: (() => void)[] = [];
  /** Frames sealed or being sealed, in counter order, not yet handed to the stream. */
  #sealed: { frame: Uint8Array | Promise<Uint8Array>; bytes: number }[] = [];
  #sealedBytes = 0;
  /** The writer below, while it runs (it may finish before its call returns). */
  #writing = false;
  #writer: Promise<void> = Promise.resolve();
  #sealFailure: unknown;
  /** Frames read and being opened, in counter order. */
  #ahead: Opening<T>[] = [];
  #reading = false;
  #readsEnded = false;
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
      this.#readAhead();
      const next = this.#ahead.shift();
      if (!next) return null;
      const messages = await next.messages;
      if (messages === null) return null;
      this.#incoming = messages;
    }
    return this.#incoming.shift()!;
  }

  /**
   * True when {@linkcode receive} has more to return without waiting for the
   * network: the rest of a batch, or frames already read. Receivers use it to
   * handle everything that arrived together in one go (group commit).
   *
   * Frames read ahead do not count: under a flood one is always being read,
   * and a receiver that never saw the end of what arrived would never stop
   * to let its commits catch up (its back-pressure).
   */
  hasBuffered(): boolean {
    return this.#incoming.length > 0 || this.stream.bufferedFrames > 0;
  }

  /**
   * Queues a message; it is sealed with whatever else is queued this tick.
   * A message carrying bytes (`data`) waits until nothing else does.
   */
  send(message: T): void {
    if (this.stream.closed) return;
    if ((message as { data?: unknown }).data instanceof Uint8Array) {
      this.#bulk.push(message);
      this.#sendBulk();
      return;
    }
    this.#outgoing.push(message);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      const batch = this.#outgoing;
      this.#outgoing = [];
      for (const plaintext of plaintexts(batch)) this.#seal(plaintext);
      this.#sendBulk();
    });
  }

  /**
   * Resolves when no message with bytes waits in this channel's queue (each
   * is being sealed or was sent), or the stream closed. A sender of many
   * (file chunks) waits on it before producing the next, so it reads from
   * disk only as fast as the link takes them.
   */
  bulkSent(): Promise<void> {
    if (this.#bulk.length === 0 || this.stream.closed) return Promise.resolve();
    return new Promise((resolve) => this.#bulkEmptied.push(resolve));
  }

  /** Resolves when everything queued so far, except waiting bulk, is sealed and handed to the stream. */
  async flushed(): Promise<void> {
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    while (this.#writing) await this.#writer;
    if (this.#sealFailure) throw this.#sealFailure;
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
    this.#dropBulk();
  }

  /** Seals bulk messages while nothing else waits and little is ahead of them. */
  #sendBulk(): void {
    if (this.stream.closed) return this.#dropBulk();
    while (
      this.#bulk.length > 0 && !this.#flushScheduled &&
      this.#sealedBytes + this.stream.unwrittenBytes < BULK_AHEAD_BYTES
    ) {
      this.#seal(binaryPlaintext(this.#bulk.shift()!));
    }
    if (this.#bulk.length === 0) {
      const emptied = this.#bulkEmptied;
      this.#bulkEmptied = [];
      for (const resolve of emptied) resolve();
      return;
    }
    // Woken by the writer as it hands sealed frames to the stream, or, once
    // it has, by the stream as it writes them.
    if (this.#bulkWaiting || this.#flushScheduled || this.#sealedBytes > 0) return;
    this.#bulkWaiting = true;
    this.stream.drainedTo(BULK_AHEAD_BYTES - 1).then(() => {
      this.#bulkWaiting = false;
      this.#sendBulk();
    });
  }

  #dropBulk(): void {
    this.#bulk = [];
    const emptied = this.#bulkEmptied;
    this.#bulkEmptied = [];
    for (const resolve of emptied) resolve();
  }

  /** Seals `plaintext` as the next frame; frames reach the stream in counter order. */
  #seal(plaintext: Uint8Array<ArrayBuffer>): void {
    if (this.stream.closed) return;
    let frame: Uint8Array | Promise<Uint8Array>;
    try {
      // Small frames are sealed on this thread, without waiting for a turn.
      frame = sealWith(this.#keys.send, nonce(this.#nextSendCounter()), plaintext);
    } catch (error) {
      this.#sealFailure = error;
      return this.close();
    }
    this.#sealed.push({ frame, bytes: plaintext.length });
    this.#sealedBytes += plaintext.length;
    if (this.#writing) return;
    this.#writing = true;
    this.#writer = this.#writeSealed();
  }

  async #writeSealed(): Promise<void> {
    try {
      while (this.#sealed.length > 0) {
        const head = this.#sealed[0];
        const frame = head.frame instanceof Uint8Array ? head.frame : await head.frame;
        this.#sealed.shift();
        this.#sealedBytes -= head.bytes;
        this.stream.writeFrame(encodeFrame(frame));
        if (this.#bulk.length > 0 && !this.#bulkWaiting) this.#sendBulk();
      }
    } catch (error) {
      // AES-GCM sealing does not fail on good keys; if it does, the link is unusable.
      this.#sealFailure = error;
      this.#sealed = [];
      this.#sealedBytes = 0;
      this.close();
    } finally {
      this.#writing = false;
    }
  }

  #nextSendCounter(): number {
    if (this.#sendCounter >= MAX_FRAMES) throw new RangeError("Link used up its nonces; reconnect");
    return this.#sendCounter++;
  }

  /**
   * Keeps up to {@linkcode OPEN_AHEAD} frames read and opening: one read at
   * a time, in order (so counters follow the wire), the next started as soon
   * as a frame is in, while that frame is being opened. An idle link keeps
   * one pending read, as before.
   */
  #readAhead(): void {
    if (this.#reading || this.#readsEnded || this.#ahead.length >= OPEN_AHEAD) return;
    this.#reading = true;
    const opening: Opening<T> = {
      messages: this.stream.readFrame().then(
        (sealed) => {
          this.#reading = false;
          if (sealed === null) {
            this.#readsEnded = true;
            return null;
          }
          const messages = this.#open(sealed);
          this.#readAhead();
          return messages;
        },
        (error) => {
          this.#reading = false;
          this.#readsEnded = true;
          throw error;
        },
      ),
    };
    // Rejections are handled when receive() reaches this frame.
    opening.messages.catch(() => {});
    this.#ahead.push(opening);
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

/** A frame read ahead: its messages once it is read and opened (`null` at the end). */
interface Opening<T> {
  messages: Promise<T[] | null>;
}

/** First plaintext byte of a binary frame; a JSON batch's is `[`. */
const BINARY_MARK = 0;
/** Longest header a binary frame may have (a chunk's is under 100 bytes). */
const MAX_BINARY_HEADER_BYTES = 4096;

/** The plaintexts of a batch of JSON messages, grouped by size. */
function plaintexts<T extends object>(batch: T[]): Uint8Array<ArrayBuffer>[] {
  const encoded = batch.map((message) => JSON.stringify(message));
  return groupByLength(encoded).map((group) => encoder.encode(`[${group.join(",")}]`));
}

/** A message carrying bytes in `data`, as the plaintext of a binary frame. */
function binaryPlaintext<T extends object>(message: T): Uint8Array<ArrayBuffer> {
  const data = (message as { data: Uint8Array }).data;
  const header = encoder.encode(JSON.stringify({ ...message, data: undefined }));
  const plaintext = new Uint8Array(5 + header.length + data.length);
  plaintext[0] = BINARY_MARK;
  new DataView(plaintext.buffer).setUint32(1, header.length);
  plaintext.set(header, 5);
  plaintext.set(data, 5 + header.length);
  return plaintext;
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
