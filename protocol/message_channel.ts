/**
 * Typed messages over a {@linkcode FrameStream}: JSON payloads in, validated
 * messages out. Bad bytes become a {@linkcode ProtocolError} whose code the
 * owner sends back in an `error` frame before closing.
 */

import { DeadlineError, waitAtMost, within } from "../async/mod.ts";
import { ProtocolError } from "./errors.ts";
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame } from "./frame_codec.ts";
import type { FrameStream } from "./frame_stream.ts";
import type { Parser } from "./schema.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a message as one frame, ready for {@linkcode FrameStream.writeFrame}. */
export function encodeMessage(
  message: object,
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
): Uint8Array {
  return encodeFrame(encoder.encode(JSON.stringify(message)), maxFrameBytes);
}

/** Decodes and validates one payload. Throws {@linkcode ProtocolError}. */
export function decodeMessage<T>(payload: Uint8Array, parse: Parser<T>): T {
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    throw new ProtocolError("bad_utf8", `Frame of ${payload.length} bytes is not valid UTF-8`);
  }
  if (nestingExceeds(text, MAX_JSON_DEPTH)) {
    throw new ProtocolError(
      "invalid_message",
      `Frame nests JSON deeper than ${MAX_JSON_DEPTH} levels; no message needs that`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof SyntaxError ? `: ${error.message}` : "";
    throw new ProtocolError("bad_json", `Frame is not valid JSON${detail}`);
  }
  return parse(value, "");
}

/** Deepest JSON nesting a message may have; real messages use at most 4. */
export const MAX_JSON_DEPTH = 16;

/** True if brackets outside strings nest deeper than `max` (a linear scan). */
export function nestingExceeds(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** How long a refusal waits for its `error` frame to leave before closing. */
const REFUSE_FLUSH_MS = 1000;

/** Receives `In` and sends `Out` messages on one connection. */
export class MessageChannel<In, Out extends object> {
  readonly stream: FrameStream;
  readonly #parse: Parser<In>;

  constructor(stream: FrameStream, parse: Parser<In>) {
    this.stream = stream;
    this.#parse = parse;
  }

  /** The next valid message, or `null` at the end. Throws {@linkcode ProtocolError}. */
  async receive(): Promise<In | null> {
    const payload = await this.stream.readFrame();
    return payload === null ? null : decodeMessage(payload, this.#parse);
  }

  /**
   * Like {@linkcode receive}, but gives up after `ms`: the connection is
   * closed and a `timeout` {@linkcode ProtocolError} names what was awaited.
   */
  async receiveWithin(ms: number, awaited: string): Promise<In | null> {
    const payload = await readFrameWithin(this.stream, ms, awaited);
    return payload === null ? null : decodeMessage(payload, this.#parse);
  }

  /** Queues a message. */
  send(message: Out): void {
    this.stream.writeFrame(encodeMessage(message));
  }

  /** Queues a frame encoded once for many receivers (fan-out). */
  sendEncoded(frame: Uint8Array): void {
    this.stream.writeFrame(frame);
  }

  /**
   * Tells the other side why it is being disconnected (an `error` frame with
   * the code), gives that frame a moment to leave, then closes.
   */
  async refuse(error: ProtocolError): Promise<void> {
    this.stream.writeFrame(
      encodeMessage({ type: "error", code: error.code, message: error.message.slice(0, 1024) }),
    );
    await flushWithin(this.stream, REFUSE_FLUSH_MS);
    this.stream.close();
  }

  /** Closes the connection at once. */
  close(): void {
    this.stream.close();
  }
}

/**
 * The next frame's payload, or a `timeout` {@linkcode ProtocolError} if none
 * arrives within `ms`. The connection stays open so its owner can still say
 * why it gives up; closing it then ends the abandoned read.
 */
export async function readFrameWithin(
  stream: FrameStream,
  ms: number,
  awaited: string,
): Promise<Uint8Array | null> {
  try {
    return await within(stream.readFrame(), ms, awaited);
  } catch (error) {
    if (error instanceof DeadlineError) throw new ProtocolError("timeout", error.message);
    throw error;
  }
}

/** Waits for queued frames to leave, but no longer than `ms`. */
export async function flushWithin(stream: FrameStream, ms: number): Promise<void> {
  await waitAtMost(stream.flushed(), ms);
}
