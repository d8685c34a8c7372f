/**
 * Length-prefixed framing: every frame is a 4-byte big-endian payload length
 * followed by that many bytes. The decoder is incremental, so TCP may split or
 * merge frames however it likes, and it never buffers more than one frame.
 */

import { ProtocolError } from "./errors.ts";

/** Size of the length prefix in bytes. */
export const FRAME_HEADER_BYTES = 4;

/** Largest payload accepted unless a connection says otherwise (1 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/** Prefixes `payload` with its length. */
export function encodeFrame(
  payload: Uint8Array,
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
): Uint8Array {
  if (payload.length > maxFrameBytes) throw frameTooLarge(payload.length, maxFrameBytes);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** Options for {@linkcode FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Payloads announced larger than this are refused before any is buffered. */
  maxFrameBytes?: number;
}

const NOTHING_BUFFERED = new Uint8Array(0);

/**
 * Turns a stream of arbitrary chunks back into frame payloads.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder();
 * for (const payload of decoder.push(chunk)) handle(payload);
 * ```
 */
export class FrameDecoder {
  #maxFrameBytes: number;
  // Shared until a partial frame arrives: an idle connection buffers nothing.
  #buffer = NOTHING_BUFFERED;
  #start = 0;
  #end = 0;

  constructor(options: FrameDecoderOptions = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Payloads announced larger than this are refused. */
  get maxFrameBytes(): number {
    return this.#maxFrameBytes;
  }

  /**
   * Accepts payloads up to `maxFrameBytes` from now on, and returns the
   * frames that this completes among the bytes already buffered: a frame
   * that {@linkcode push} held back as too large for the old limit.
   */
  raiseLimit(maxFrameBytes: number): Uint8Array[] {
    this.#maxFrameBytes = Math.max(this.#maxFrameBytes, maxFrameBytes);
    return this.bufferedBytes > 0 ? this.push(NOTHING_BUFFERED) : [];
  }

  /** Bytes of an incomplete frame waiting for the rest. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /**
   * Bytes still missing of the incomplete frame whose header has arrived
   * (0 when none is waiting, or its header is not complete yet). Readers
   * size their next read by it.
   */
  get awaitedBytes(): number {
    if (this.bufferedBytes < FRAME_HEADER_BYTES) return 0;
    const length = readUint32(this.#buffer, this.#start);
    return Math.max(0, FRAME_HEADER_BYTES + length - this.bufferedBytes);
  }

  /**
   * Throws {@linkcode ProtocolError} `frame_too_large` if the incomplete
   * frame waiting for the rest of its bytes is announced larger than the
   * limit: one that {@linkcode push} held back. A reader calls this before
   * it waits for more bytes, so the refusal does not wait for them.
   */
  checkWaitingFrame(): void {
    if (this.bufferedBytes < FRAME_HEADER_BYTES) return;
    const length = readUint32(this.#buffer, this.#start);
    if (length > this.#maxFrameBytes) throw frameTooLarge(length, this.#maxFrameBytes);
  }

  /**
   * Feeds a chunk and returns every payload it completes, each an independent
   * copy (the caller may reuse `chunk`). Throws {@linkcode ProtocolError}
   * with code `frame_too_large` as soon as an oversized length is seen —
   * unless frames came before it in the same call: those are returned and
   * the rest is kept, so that a limit raised after them (a handshake's,
   * with {@linkcode raiseLimit}) can still let it through. The next call
   * throws if it did not.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const payloads: Uint8Array[] = [];
    let source = chunk;
    let offset = 0;
    if (this.bufferedBytes > 0) {
      this.#append(chunk);
      source = this.#buffer;
      offset = this.#start;
    }
    const limit = source === chunk ? chunk.length : this.#end;
    while (limit - offset >= FRAME_HEADER_BYTES) {
      const length = readUint32(source, offset);
      if (length > this.#maxFrameBytes) {
        if (payloads.length > 0) break;
        throw frameTooLarge(length, this.#maxFrameBytes);
      }
      const frameEnd = offset + FRAME_HEADER_BYTES + length;
      if (frameEnd > limit) break;
      payloads.push(source.slice(offset + FRAME_HEADER_BYTES, frameEnd));
      offset = frameEnd;
    }
    if (source === chunk) {
      if (offset < chunk.length) this.#append(chunk.subarray(offset));
    } else {
      this.#start = offset;
      if (this.#start === this.#end) this.#start = this.#end = 0;
    }
    return payloads;
  }

  #append(bytes: Uint8Array): void {
    const needed = this.bufferedBytes + bytes.length;
    if (this.#end + bytes.length > this.#buffer.length) {
      // Grow with what actually arrives, not with what a header announces:
      // a peer that claims 1 MiB and sends 10 bytes must cost 10 bytes.
      if (needed <= this.#buffer.length) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      } else {
        const capacity = Math.max(needed, Math.min(this.#buffer.length * 2, needed + 64 * 1024));
        const next = new Uint8Array(capacity);
        next.set(this.#buffer.subarray(this.#start, this.#end), 0);
        this.#buffer = next;
      }
      this.#end -= this.#start;
      this.#start = 0;
    }
    this.#buffer.set(bytes, this.#end);
    this.#end += bytes.length;
  }
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) |
    bytes[offset + 3]) >>> 0;
}

function frameTooLarge(length: number, limit: number): ProtocolError {
  return new ProtocolError(
    "frame_too_large",
    `Frame too large: ${length} bytes exceeds the ${limit}-byte limit`,
  );
}
