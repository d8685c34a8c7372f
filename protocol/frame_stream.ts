/**
 * Frames over one connection: a read loop feeding a {@linkcode FrameDecoder}
 * and a bounded write queue. It owns the connection and is the only thing that
 * closes it. The connection is anything that reads and writes bytes like a
 * `Deno.Conn` does: a TCP socket, or a link's circuit through a relay.
 */

import { ProtocolError } from "./errors.ts";
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from "./frame_codec.ts";

/** Limits for one {@linkcode FrameStream}. */
export interface FrameStreamOptions {
  /** Largest payload accepted from the other side. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Size of the buffer each `read` fills. Small for many idle connections. */
  readBufferBytes?: number;
  /**
   * Bytes that may wait to be written before the other side counts as not
   * reading; the connection is then closed instead of buffering forever.
   */
  maxQueuedBytes?: number;
  /**
   * Queued frames are copied into one write of up to this many bytes
   * (default 256 KiB); a frame this large or larger is written as it is.
   * Small for a server that writes the same frames to thousands of slow
   * readers: each copy is that reader's own.
   */
  writeBatchBytes?: number;
}

const DEFAULT_READ_BUFFER_BYTES = 16 * 1024;
/**
 * Read buffer for a frame much larger than the usual one (a file chunk of
 * 512 KiB): 16 KiB reads cost 32 reads, appends and turns of the event loop
 * per chunk; reads of this size, two. Allocated only by a stream that
 * receives such frames, so idle connections keep their small buffer.
 */
const LARGE_READ_BUFFER_BYTES = 256 * 1024;
const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
// Small frames queued together are written with one syscall, up to this size.
const DEFAULT_WRITE_BATCH_BYTES = 256 * 1024;
/** Shared by every stream with nothing received and not yet read. */
const NO_FRAMES: readonly Uint8Array[] = Object.freeze([]);

/**
 * The part of `Deno.Conn` a {@linkcode FrameStream} uses; every transport
 * (a Deno TCP connection, a `node:net` socket, a relay circuit) provides it.
 * `read` resolves with `null` at the end; errors that only mean the
 * connection is gone are the `Deno.errors` that {@linkcode isConnectionGone} names.
 */
export interface ByteConnection {
  readonly remoteAddr: Deno.Addr;
  readonly localAddr: Deno.Addr;
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/** Where {@linkcode FrameStream.deliverFrames} sends the frames. */
export interface FrameSink {
  /** One frame's payload; returning `false` stops delivery, and so does throwing. */
  frameArrived(payload: Uint8Array): boolean | void;
  /**
   * Called once, last: with `null` at the end of the connection or when
   * stopped; otherwise with the error — a {@linkcode ProtocolError} for a
   * bad or truncated frame, or whatever `frameArrived` threw.
   */
  framesEnded(error: unknown): void;
}

/** Reads and writes whole frames on a {@linkcode ByteConnection}. */
export class FrameStream {
  readonly remoteAddr: Deno.NetAddr;
  readonly localAddr: Deno.NetAddr;
  readonly #conn: ByteConnection;
  readonly #decoder: FrameDecoder;
  readonly #readBuffer: Uint8Array;
  #largeReadBuffer: Uint8Array | undefined;
  readonly #maxQueuedBytes: number;
  readonly #writeBatchBytes: number;
  #received: readonly Uint8Array[] = NO_FRAMES;
  #receivedIndex = 0;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #writing: Promise<void> | null = null;
  /** Bytes of the write being made (taken from the queue, not yet accepted by the connection). */
  #writingBytes = 0;
  /** Callers of {@linkcode drainedTo}, each with its threshold. */
  #drainWaiters: { bytes: number; resolve: () => void }[] = [];
  #closed = false;
  #closeReason: ProtocolError | null = null;
  #bytesRead = 0;
  #bytesWritten = 0;
  // Set while frames are delivered (see deliverFrames).
  #sink: FrameSink | undefined;
  #arrived: ((count: number | null) => void) | undefined;
  #readFailed: ((error: unknown) => void) | undefined;

  constructor(conn: ByteConnection, options: FrameStreamOptions = {}) {
    this.#conn = conn;
    this.remoteAddr = conn.remoteAddr as Deno.NetAddr;
    this.localAddr = conn.localAddr as Deno.NetAddr;
    this.#decoder = new FrameDecoder({
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    });
    this.#readBuffer = new Uint8Array(options.readBufferBytes ?? DEFAULT_READ_BUFFER_BYTES);
    this.#maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.#writeBatchBytes = options.writeBatchBytes ?? DEFAULT_WRITE_BATCH_BYTES;
  }

  /** True once {@linkcode close} ran or the connection failed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Why the stream closed itself (for example a slow consumer), if it did. */
  get closeReason(): ProtocolError | null {
    return this.#closeReason;
  }

  /** Bytes received and sent so far, for metrics and benchmarks. */
  get bytesRead(): number {
    return this.#bytesRead;
  }
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Bytes queued to be written and not yet handed to the connection. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Bytes not yet accepted by the connection: queued, and in the write being made. */
  get unwrittenBytes(): number {
    return this.#queuedBytes + this.#writingBytes;
  }

  /**
   * Resolves once at most `bytes` are {@linkcode unwrittenBytes} (at once if
   * that is so now), or the stream closed. A sender of bulk data waits on it
   * before it queues more, so the queue stays short and whatever is queued
   * after it (a chat message) is not stuck behind megabytes.
   */
  drainedTo(bytes: number): Promise<void> {
    if (this.#closed || this.unwrittenBytes <= bytes) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push({ bytes, resolve }));
  }

  /** Largest payload accepted from the other side now. */
  get maxFrameBytes(): number {
    return this.#decoder.maxFrameBytes;
  }

  /**
   * Accepts frames up to `maxFrameBytes` from now on. A link starts with a
   * small limit that only the handshake's frames fit, so that nobody who has
   * not proved who they are can make it buffer a megabyte; the handshake
   * raises it once they have.
   */
  raiseFrameLimit(maxFrameBytes: number): void {
    const completed = this.#decoder.raiseLimit(maxFrameBytes);
    if (completed.length === 0) return;
    this.#received = [...this.#received.slice(this.#receivedIndex), ...completed];
    this.#receivedIndex = 0;
  }

  /** Frames already received and decoded, which `readFrame` returns without waiting. */
  get bufferedFrames(): number {
    return this.#received.length - this.#receivedIndex;
  }

  /**
   * The next frame's payload, or `null` once the connection has ended.
   * Throws {@linkcode ProtocolError} for an oversized frame or for a
   * connection that ends in the middle of one.
   */
  async readFrame(): Promise<Uint8Array | null> {
    while (this.#receivedIndex >= this.#received.length) {
      if (this.#closed) return null;
      this.#decoder.checkWaitingFrame();
      const buffer = this.#nextReadBuffer();
      let count: number | null;
      try {
        count = await this.#conn.read(buffer);
      } catch (error) {
        if (isConnectionGone(error)) return this.#endOfStream();
        throw error;
      }
      if (count === null) return this.#endOfStream();
      this.#bytesRead += count;
      this.#received = this.#decoder.push(buffer.subarray(0, count));
      this.#receivedIndex = 0;
    }
    const payload = this.#received[this.#receivedIndex++];
    if (this.#receivedIndex === this.#received.length) this.#dropReceived();
    return payload;
  }

  /** The small buffer, or a large one while a frame much larger than it is arriving. */
  #nextReadBuffer(): Uint8Array {
    if (this.#decoder.awaitedBytes <= this.#readBuffer.length) return this.#readBuffer;
    return this.#largeReadBuffer ??= new Uint8Array(LARGE_READ_BUFFER_BYTES);
  }

  #dropReceived(): void {
    this.#received = NO_FRAMES;
    this.#receivedIndex = 0;
  }

  /**
   * Hands every further frame to `sink` as it arrives, in order, instead of
   * being asked with {@linkcode readFrame} (never mix the two after this).
   * See {@linkcode FrameSink} for how delivery stops and ends.
   *
   * Why not a loop around `readFrame`: an idle connection then costs only
   * its one pending read and two closures, no suspended async functions of
   * ours with their promises — what ten thousand idle registry sessions add
   * up to.
   */
  deliverFrames(sink: FrameSink): void {
    this.#sink = sink;
    this.#arrived = (count) => this.#deliver(count);
    this.#readFailed = (error) => {
      if (isConnectionGone(error)) this.#deliver(null);
      else this.#endDelivery(error);
    };
    this.#deliverBuffered();
  }

  #deliverBuffered(): void {
    const sink = this.#sink!;
    while (this.#receivedIndex < this.#received.length) {
      const payload = this.#received[this.#receivedIndex++];
      let more: boolean | void;
      try {
        more = sink.frameArrived(payload);
      } catch (error) {
        this.#dropReceived();
        return this.#endDelivery(error);
      }
      if (more === false) {
        this.#dropReceived();
        return this.#endDelivery(null);
      }
    }
    this.#dropReceived();
    if (this.#closed) return this.#endDelivery(null);
    try {
      this.#decoder.checkWaitingFrame();
    } catch (error) {
      return this.#endDelivery(error);
    }
    this.#conn.read(this.#readBuffer).then(this.#arrived, this.#readFailed);
  }

  /** `count` bytes arrived in the read buffer, or the connection ended (`null`). */
  #deliver(count: number | null): void {
    try {
      if (count === null) {
        this.#endOfStream();
        return this.#endDelivery(null);
      }
      this.#bytesRead += count;
      this.#received = this.#decoder.push(this.#readBuffer.subarray(0, count));
      this.#receivedIndex = 0;
    } catch (error) {
      return this.#endDelivery(error);
    }
    this.#deliverBuffered();
  }

  #endDelivery(error: unknown): void {
    const sink = this.#sink!;
    this.#sink = this.#arrived = this.#readFailed = undefined;
    sink.framesEnded(error);
  }

  /**
   * Queues an already encoded frame (header included). Never blocks: when the
   * other side stops reading and the queue passes its limit, the connection is
   * closed and {@linkcode closeReason} says why.
   */
  writeFrame(frame: Uint8Array): void {
    if (this.#closed) return;
    this.#queue.push(frame);
    this.#queuedBytes += frame.length;
    if (this.#queuedBytes > this.#maxQueuedBytes) {
      this.#closeReason = new ProtocolError(
        "slow_consumer",
        `Peer is not reading: ${this.#queuedBytes} bytes queued exceed the ${this.#maxQueuedBytes}-byte limit`,
      );
      this.close();
      return;
    }
    this.#writing ??= this.#pump();
  }

  /** Resolves when everything queued so far has been handed to the kernel. */
  async flushed(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Closes the connection; pending reads end with `null`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#wakeDrainWaiters();
    try {
      this.#conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const batch = takeBatch(this.#queue, this.#writeBatchBytes);
        this.#queuedBytes -= batch.length;
        this.#writingBytes = batch.length;
        await writeAll(this.#conn, batch);
        this.#writingBytes = 0;
        this.#bytesWritten += batch.length;
        if (this.#drainWaiters.length > 0) this.#wakeDrainWaiters();
      }
    } catch (error) {
      if (!isConnectionGone(error)) throw error;
      this.close();
    } finally {
      this.#writing = null;
      this.#writingBytes = 0;
    }
  }

  #wakeDrainWaiters(): void {
    const unwritten = this.unwrittenBytes;
    const waiting = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of waiting) {
      if (this.#closed || unwritten <= waiter.bytes) waiter.resolve();
      else this.#drainWaiters.push(waiter);
    }
  }

  #endOfStream(): null {
    const closedByUs = this.#closed;
    const partial = this.#decoder.bufferedBytes;
    this.close();
    if (partial > 0 && !closedByUs) {
      throw new ProtocolError(
        "truncated_frame",
        `Connection closed in the middle of a frame (${partial} bytes of it received)`,
      );
    }
    return null;
  }
}

function takeBatch(queue: Uint8Array[], limit: number): Uint8Array {
  const first = queue.shift()!;
  if (queue.length === 0 || first.length >= limit) return first;
  let size = first.length;
  let count = 0;
  while (count < queue.length && size + queue[count].length <= limit) {
    size += queue[count].length;
    count++;
  }
  if (count === 0) return first;
  const batch = new Uint8Array(size);
  batch.set(first, 0);
  let offset = first.length;
  for (const frame of queue.splice(0, count)) {
    batch.set(frame, offset);
    offset += frame.length;
  }
  return batch;
}

async function writeAll(conn: ByteConnection, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Errors that only mean "the other side or we already closed it". */
export function isConnectionGone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.Interrupted;
}
