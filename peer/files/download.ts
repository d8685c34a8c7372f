/**
 * One file being received: it writes `NAME.part` and keeps a record of the
 * chunks it verified, asks for what it lacks with several requests in flight,
 * fetches again a chunk whose hash does not match, and once every chunk is
 * there checks the whole file's SHA-256 and moves it to its final name
 * (never over an existing file).
 *
 * Speed comes from batching: chunks are written as they arrive, but the
 * `.part` file is flushed and the verified-chunk record written only every
 * {@linkcode COMMIT_BYTES} or {@linkcode COMMIT_MS} — a crash loses at most
 * that much work, never correctness, since only flushed chunks are ever
 * recorded as verified. (Flushing per chunk cost 25× the throughput.) The
 * flush runs beside the writes, not in front of them, and is kept small
 * because every other fsync on the disk — each chat message's commit — waits
 * for the dirty pages the `.part` file has at that moment.
 *
 * How many chunks are in flight follows the rate: what arrives in
 * {@linkcode WINDOW_MS}, between {@linkcode MIN_WINDOW_CHUNKS} and
 * {@linkcode MAX_WINDOW_CHUNKS}, counting chunks received and not yet
 * written, so a slow disk slows the requests instead of filling memory.
 */

import { createHash, type Hash } from "node:crypto";
import { chunkCount, type FileChunkMessage } from "../../protocol/mod.ts";
import type { DirectLink } from "../link/mod.ts";
import { chunkMatches, readFully, readFullySync, writeFully } from "./manifest.ts";
import { moveToFreeName } from "./safe_name.ts";
import type { TransferBook, TransferRecord } from "./transfer_book.ts";

/**
 * Chunks in flight carry this long at the rate measured: enough to keep the
 * link full, whatever its speed. (Chat does not wait behind them: the sender
 * seals chunks only when no chat is queued.)
 */
export const WINDOW_MS = 250;
/** Fewest chunks in flight (a slow link: the next is there when one is written). */
export const MIN_WINDOW_CHUNKS = 4;
/** Chunks in flight before a rate is known. */
const FIRST_WINDOW_CHUNKS = 16;
/** Most chunks in flight or waiting to be written (16 MiB at 512 KiB). */
export const MAX_WINDOW_CHUNKS = 32;
/** Bytes written per flush of the `.part` file and of the verified record. */
export const COMMIT_BYTES = 4 * 1024 * 1024;
/** Longest time verified chunks wait for their flush. */
export const COMMIT_MS = 1000;
/** How often the rate behind the window is measured again. */
const RATE_EVERY_MS = 250;
/** Requests unanswered this long are asked again (a frame lost while a side restarted). */
const STALL_MS = 5000;
/** Times one chunk may arrive corrupt before the transfer fails. */
const MAX_BAD_COPIES = 5;

/** What a {@linkcode Download} reports. */
export interface DownloadHandler {
  progress(record: TransferRecord, bytes: number): void;
  done(record: TransferRecord, path: string, transferred: number): void;
  failed(record: TransferRecord, reason: string): void;
  /** The download waits and has no link to its sender: dial one (it resumes on it). */
  linkLost(record: TransferRecord): void;
  /** Logs a chunk that failed its hash (and is fetched again). */
  corrupt(record: TransferRecord, index: number): void;
}

/** Receives one accepted file. */
export class Download {
  readonly record: TransferRecord;
  readonly #book: TransferBook;
  readonly #handler: DownloadHandler;
  readonly #digests: Uint8Array;
  readonly #count: number;
  /** Chunks verified and written (maybe not yet flushed). */
  #verified: Uint8Array = new Uint8Array(0);
  /** Chunks flushed to disk: what the record says. */
  #recorded: Uint8Array = new Uint8Array(0);
  /** Chunks written since the last flush began. */
  #unflushed: number[] = [];
  #unflushedBytes = 0;
  /** The flush in progress, if any (one at a time, beside the writes). */
  #committing: Promise<void> | undefined;
  #file: Deno.FsFile | undefined;
  /** Chunk index → the link it was requested on. */
  readonly #requested = new Map<number, DirectLink>();
  readonly #badCopies = new Map<number, number>();
  #next = 0;
  #verifiedCount = 0;
  #verifiedBytes = 0;
  #transferred = 0;
  /** Chunks received and verified, waiting for their turn to be written. */
  #unwritten = 0;
  #window = FIRST_WINDOW_CHUNKS;
  #rateBytes = 0;
  #rateSince = performance.now();
  #commitTimer: ReturnType<typeof setTimeout> | undefined;
  #whole: Hash = createHash("sha256");
  #hashedThrough = 0;
  /** Writes, flushes and the end, one after another. */
  #tail: Promise<void> = Promise.resolve();
  #link: DirectLink | undefined;
  #over = false;
  #lastChunkAt = Date.now();
  #stallTimer: ReturnType<typeof setInterval> | undefined;

  constructor(record: TransferRecord, options: { book: TransferBook; handler: DownloadHandler }) {
    this.record = record;
    this.#book = options.book;
    this.#handler = options.handler;
    this.#digests = Uint8Array.fromBase64(record.chunks!);
    this.#count = chunkCount(record.size, record.chunkSize);
  }

  /** Bytes verified so far. */
  get bytes(): number {
    return this.#verifiedBytes;
  }

  /**
   * Opens the `.part` file and checks again every chunk the record says was
   * verified (a torn write after a crash is fetched again, not trusted).
   */
  async open(): Promise<void> {
    this.#file = await Deno.open(this.record.part!, { read: true, write: true });
    this.#verified = await this.#book.verified(this.record.id, this.#count);
    const buffer = new Uint8Array(this.record.chunkSize);
    for (let index = 0; index < this.#count; index++) {
      if (!this.#verified[index]) continue;
      const data = buffer.subarray(0, this.#chunkLength(index));
      let intact = true;
      try {
        await this.#file.seek(index * this.record.chunkSize, Deno.SeekMode.Start);
        await readFully(this.#file, data);
      } catch {
        intact = false;
      }
      if (!intact || !chunkMatches(this.#digests, index, data)) {
        this.#verified[index] = 0;
        continue;
      }
      this.#verifiedCount++;
      this.#verifiedBytes += data.length;
      if (index === this.#hashedThrough) {
        this.#whole.update(data);
        this.#hashedThrough++;
      }
    }
    this.#recorded = Uint8Array.from(this.#verified);
    this.#advanceWholeHash();
  }

  /** Asks for what is missing on `link` (a new link: what was in flight elsewhere goes again). */
  resume(link: DirectLink): void {
    if (this.#over) return;
    this.#link = link;
    this.#lastChunkAt = Date.now();
    this.#stallTimer ??= setInterval(() => this.#checkStall(), STALL_MS);
    for (const [index, via] of this.#requested) if (via !== link) this.#requested.delete(index);
    this.#next = 0;
    if (this.#verifiedCount === this.#count) {
      this.#tail = this.#tail.then(() => this.#finish());
      return;
    }
    this.#fill();
  }

  /** A link closed: its requests are lost. */
  linkClosed(link: DirectLink): void {
    if (this.#link === link) this.#link = undefined;
    for (const [index, via] of this.#requested) if (via === link) this.#requested.delete(index);
  }

  /** A chunk arrived. */
  receive(link: DirectLink, chunk: FileChunkMessage): void {
    if (this.#over || this.#requested.get(chunk.index) !== link) return;
    this.#requested.delete(chunk.index);
    this.#lastChunkAt = Date.now();
    if (this.#verified[chunk.index]) return this.#fill();
    if (
      chunk.data.length !== this.#chunkLength(chunk.index) ||
      !chunkMatches(this.#digests, chunk.index, chunk.data)
    ) {
      const copies = (this.#badCopies.get(chunk.index) ?? 0) + 1;
      this.#badCopies.set(chunk.index, copies);
      this.#handler.corrupt(this.record, chunk.index);
      if (copies >= MAX_BAD_COPIES) {
        this.fail(`chunk ${chunk.index} arrived corrupt ${copies} times`);
        return;
      }
      // Asked for again first, before anything new.
      this.#request([chunk.index]);
      return;
    }
    this.#transferred += chunk.data.length;
    this.#unwritten++;
    this.#tail = this.#tail.then(() => this.#write(chunk)).catch((error) =>
      this.fail(`cannot write ${this.record.part}: ${(error as Error).message}`)
    ).finally(() => {
      this.#unwritten--;
      this.#fill();
    });
  }

  /** Ends the transfer: keeps nothing half-done. */
  fail(reason: string): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#commitTimer);
    this.#stopStallTimer();
    this.#tail = this.#tail.catch(() => {}).then(async () => {
      // A flush that finished after this must not record chunks of a dropped file.
      await this.#committing?.catch(() => {});
      this.#file?.close();
      this.#file = undefined;
      await Deno.remove(this.record.part!).catch(() => {});
      await this.#book.dropVerified(this.record.id);
      // Said once nothing half-done is left.
      this.#handler.failed(this.record, reason);
    });
  }

  /** Flushes what is verified and closes the file (the transfer resumes later). */
  async close(): Promise<void> {
    this.#over = true;
    clearTimeout(this.#commitTimer);
    this.#stopStallTimer();
    await this.#tail.catch(() => {});
    if (this.#file) {
      await this.#committing?.catch(() => {});
      await this.#commit().catch(() => {});
      this.#file.close();
      this.#file = undefined;
    }
  }

  /** Nothing came for a while though chunks are asked for: ask again. */
  #checkStall(): void {
    if (this.#over) return this.#stopStallTimer();
    if (Date.now() - this.#lastChunkAt < STALL_MS) return;
    const link = this.#link;
    // The link went (the sender's side dropped it) while the sender stays
    // listed: nothing else would dial it again.
    if (!link || link.closed) return this.#handler.linkLost(this.record);
    if (this.#requested.size === 0) return;
    this.#requested.clear();
    this.resume(link);
  }

  #stopStallTimer(): void {
    clearInterval(this.#stallTimer);
    this.#stallTimer = undefined;
  }

  #chunkLength(index: number): number {
    return Math.min(this.record.chunkSize, this.record.size - index * this.record.chunkSize);
  }

  /** Keeps the window's worth of chunks requested or waiting to be written. */
  #fill(): void {
    if (this.#over || !this.#link || this.#link.closed) return;
    const window = this.#measuredWindow();
    const wanted: number[] = [];
    while (
      this.#requested.size + this.#unwritten + wanted.length < window && this.#next < this.#count
    ) {
      const index = this.#next++;
      if (!this.#verified[index] && !this.#requested.has(index)) wanted.push(index);
    }
    if (wanted.length > 0) this.#request(wanted);
  }

  /** The window for the rate of the last {@linkcode RATE_EVERY_MS} or more. */
  #measuredWindow(): number {
    const now = performance.now();
    const elapsed = now - this.#rateSince;
    if (elapsed >= RATE_EVERY_MS) {
      const chunksPerWindow = (this.#rateBytes / elapsed) * WINDOW_MS / this.record.chunkSize;
      this.#window = Math.min(
        MAX_WINDOW_CHUNKS,
        Math.max(MIN_WINDOW_CHUNKS, Math.ceil(chunksPerWindow)),
      );
      this.#rateBytes = 0;
      this.#rateSince = now;
    }
    return this.#window;
  }

  #request(indexes: number[]): void {
    const link = this.#link;
    if (!link || link.closed) return;
    for (const index of indexes) this.#requested.set(index, link);
    link.send({ type: "file_request", id: this.record.id, chunks: indexes });
  }

  async #write(chunk: FileChunkMessage): Promise<void> {
    if (this.#over || !this.#file || this.#verified[chunk.index]) return;
    // Written on the op pool, not this thread: copying into the page cache
    // took 2–10 ms a chunk here (fresh pages), and a run of synchronous
    // writes kept this thread from its sockets long enough for the registry
    // to drop the peer. Only this chain moves the file's position.
    this.#file.seekSync(chunk.index * this.record.chunkSize, Deno.SeekMode.Start);
    await writeFully(this.#file, chunk.data);
    if (this.#over || !this.#file) return;
    this.#verified[chunk.index] = 1;
    this.#verifiedCount++;
    this.#verifiedBytes += chunk.data.length;
    this.#rateBytes += chunk.data.length;
    if (chunk.index === this.#hashedThrough) {
      this.#whole.update(chunk.data);
      this.#hashedThrough++;
    }
    this.#advanceWholeHash();
    this.#handler.progress(this.record, this.#verifiedBytes);
    if (this.#verifiedCount === this.#count) return await this.#finish();
    this.#unflushed.push(chunk.index);
    this.#unflushedBytes += chunk.data.length;
    if (this.#unflushedBytes >= COMMIT_BYTES) this.#commitBeside();
    else {
      this.#commitTimer ??= setTimeout(() => {
        this.#commitTimer = undefined;
        this.#commitBeside();
      }, COMMIT_MS);
    }
  }

  /** Starts a flush unless one is running (the next write after it starts another). */
  #commitBeside(): void {
    if (this.#committing || this.#over) return;
    this.#committing = this.#commit().catch((error) => {
      this.fail(`cannot flush ${this.record.part}: ${(error as Error).message}`);
    }).finally(() => this.#committing = undefined);
  }

  /** Makes the chunks written so far durable, then records them as verified. */
  async #commit(): Promise<void> {
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    if (this.#unflushed.length === 0 || !this.#file) return;
    const flushing = this.#unflushed;
    this.#unflushed = [];
    this.#unflushedBytes = 0;
    await this.#file.syncData();
    for (const index of flushing) this.#recorded[index] = 1;
    await this.#book.saveVerified(this.record.id, this.#recorded);
  }

  /** Hashes, in order, the chunks that were verified out of order (read back from the file). */
  #advanceWholeHash(): void {
    while (this.#hashedThrough < this.#count && this.#verified[this.#hashedThrough]) {
      const data = new Uint8Array(this.#chunkLength(this.#hashedThrough));
      this.#file!.seekSync(this.#hashedThrough * this.record.chunkSize, Deno.SeekMode.Start);
      readFullySync(this.#file!, data);
      this.#whole.update(data);
      this.#hashedThrough++;
    }
  }

  async #finish(): Promise<void> {
    if (this.#over || !this.#file) return;
    this.#over = true;
    clearTimeout(this.#commitTimer);
    this.#stopStallTimer();
    await this.#committing?.catch(() => {});
    await this.#file.syncData();
    this.#file.close();
    this.#file = undefined;
    const sha256 = this.#whole.digest("hex");
    if (sha256 !== this.record.sha256) {
      this.#over = false;
      this.fail(
        `the whole file's SHA-256 is ${sha256}, not ${this.record.sha256} as offered`,
      );
      return;
    }
    const path = await moveToFreeName(this.record.part!, this.record.dir!, this.record.name);
    await this.#book.dropVerified(this.record.id);
    this.#handler.done(this.record, path, this.#transferred);
  }
}
