/**
 * File transfers of one peer: offering a file (a stored message carrying
 * the manifest), answering an offer (accept into a directory, decline, or
 * accept by itself from names the user listed), serving and fetching
 * chunks over the peer's encrypted links, and resuming both after a
 * restart. Chunks are their own messages, never chat: they are not stored
 * as messages, acknowledged or counted against anyone's chat quota.
 */

import {
  chunkCount,
  type FileMessage,
  type FileOfferMessage,
  MAX_CHUNKS,
  nameKey,
  newMessageId,
  type PeerInfo,
  shortId,
} from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import { formatBytes, offerText, type PeerLookup } from "../delivery/mod.ts";
import { type DirectLink, LinkError } from "../link/mod.ts";
import { ChunkServer } from "./chunk_server.ts";
import { Download } from "./download.ts";
import type { FileEvent, FileTransferInfo } from "./file_events.ts";
import { freeBytes } from "./free_space.ts";
import { buildManifest, CHUNK_BYTES } from "./manifest.ts";
import { createPartFile, safeFileName } from "./safe_name.ts";
import type { TransferBook, TransferRecord } from "./transfer_book.ts";

/** Why a file request was refused. */
export type FileErrorCode =
  | "unknown_transfer"
  | "ambiguous_id"
  | "not_offered"
  | "file_unreadable"
  | "file_too_large"
  | "no_space";

/** A refused file request, with a message fit to show a person. */
export class FileTransferError extends Error {
  readonly code: FileErrorCode;
  constructor(code: FileErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}

/** The links {@linkcode FileTransfers} travel on. */
export interface FileLinks {
  openLink(peerId: string): DirectLink | undefined;
  linkTo(peer: PeerInfo): Promise<DirectLink>;
}

/** Options for {@linkcode FileTransfers}. */
export interface FileTransfersOptions {
  /** Where accepted files go unless `/accept` names a directory. */
  downloadDir: string;
  /** Where files handed over as bytes (the web window's uploads) are kept to be served. */
  uploadDir?: string;
  /** Names whose offers are accepted without asking. */
  acceptFrom?: readonly string[];
  links: FileLinks;
  directory: PeerLookup;
  /** Stores an offer as a message to `peer` and starts delivering it. */
  offer(peer: PeerInfo, text: string, id: string): Promise<void>;
  /** False when `peer`'s name is pinned to another key (no auto-accept then). */
  isVerified(peer: PeerInfo): boolean;
  emit(event: FileEvent | { event: "error"; message: string }): void;
  logger: Logger;
}

/** Progress events per transfer: at most one per this many ms. */
const PROGRESS_EVERY_MS = 250;
/** Shortest ID prefix that names a transfer. */
const MIN_ID_PREFIX = 6;

/** Every transfer of one peer. */
export class FileTransfers {
  readonly #options: FileTransfersOptions;
  readonly #book: TransferBook;
  readonly #acceptFrom: Set<string>;
  readonly #downloads = new Map<string, Download>();
  readonly #server: ChunkServer;
  /** Sender: bytes sent this run, and the furthest offset sent, per transfer. */
  readonly #sent = new Map<string, { bytes: number; furthest: number }>();
  readonly #lastProgress = new Map<string, number>();
  readonly #work = new Set<Promise<unknown>>();

  constructor(options: FileTransfersOptions, book: TransferBook) {
    this.#options = options;
    this.#book = book;
    this.#acceptFrom = new Set((options.acceptFrom ?? []).map(nameKey));
    this.#server = new ChunkServer({
      sent: (record, bytes) => {
        const sent = this.#sent.get(record.id) ?? { bytes: 0, furthest: 0 };
        sent.bytes += bytes;
        this.#sent.set(record.id, sent);
        this.#progress(record, Math.min(record.size, sent.bytes));
      },
      failed: (record, reason) => {
        this.#sendTo(record.peerId, { type: "file_abort", id: record.id, reason });
        this.#end(record, "failed", reason);
      },
    });
  }

  /** Picks up the downloads that were under way when the peer last stopped. */
  async restore(): Promise<void> {
    for (const record of this.#book.all()) {
      if (record.direction === "in" && record.status === "transferring") {
        await this.#startDownload(record);
      }
    }
  }

  /**
   * Offers the file at `path` to `peer`: hashes it, keeps a record, stores
   * the offer as a message. Resolves with the offer's ID and manifest
   * summary. Throws {@linkcode FileTransferError}.
   */
  async send(peer: PeerInfo, path: string): Promise<Extract<FileEvent, { event: "file_offered" }>> {
    let manifest;
    try {
      manifest = await buildManifest(path);
    } catch (error) {
      throw new FileTransferError(
        "file_unreadable",
        `Cannot send ${path}: ${(error as Error).message}`,
      );
    }
    const count = chunkCount(manifest.size, manifest.chunkSize);
    if (count > MAX_CHUNKS) {
      throw new FileTransferError(
        "file_too_large",
        `Cannot send ${path}: ${formatBytes(manifest.size)} exceeds the ` +
          `${formatBytes(MAX_CHUNKS * CHUNK_BYTES)} limit of one offer`,
      );
    }
    const id = newMessageId();
    const offer: FileOfferMessage = {
      type: "file_offer",
      id,
      sentAt: Date.now(),
      name: manifest.name,
      size: manifest.size,
      chunkSize: manifest.chunkSize,
      sha256: manifest.sha256,
      chunks: manifest.chunks.toBase64(),
    };
    await this.#book.save({
      id,
      direction: "out",
      peerId: peer.id,
      name: manifest.name,
      size: manifest.size,
      chunkSize: manifest.chunkSize,
      sha256: manifest.sha256,
      status: "offered",
      createdAt: Date.now(),
      source: await Deno.realPath(path),
      mtimeMs: manifest.mtimeMs,
    });
    await this.#options.offer(peer, offerText(offer), id);
    return {
      event: "file_offered",
      id,
      to: peer,
      name: manifest.name,
      size: manifest.size,
      sha256: manifest.sha256,
    };
  }

  /**
   * Offers bytes handed over as a stream (a browser upload) under `name`:
   * they are kept in the upload directory, then offered like a file on disk.
   * At most the largest offer is read. Throws {@linkcode FileTransferError}.
   */
  async sendBytes(
    peer: PeerInfo,
    name: string,
    body: ReadableStream<Uint8Array>,
  ): Promise<Extract<FileEvent, { event: "file_offered" }>> {
    const dir = this.#options.uploadDir ?? await Deno.makeTempDir({ prefix: "p2pchat-uploads-" });
    const folder = `${dir}/${newMessageId()}`;
    await Deno.mkdir(folder, { recursive: true });
    const path = `${folder}/${safeFileName(name)}`;
    const limit = MAX_CHUNKS * CHUNK_BYTES;
    let size = 0;
    {
      using file = await Deno.open(path, { write: true, createNew: true });
      for await (const piece of body) {
        size += piece.length;
        if (size > limit) {
          await Deno.remove(folder, { recursive: true }).catch(() => {});
          throw new FileTransferError(
            "file_too_large",
            `Cannot send ${name}: it exceeds the ${formatBytes(limit)} limit of one offer`,
          );
        }
        let offset = 0;
        while (offset < piece.length) offset += await file.write(piece.subarray(offset));
      }
    }
    return await this.send(peer, path);
  }

  /**
   * A new offer was stored (the inbox waits for this before acknowledging
   * it). Records it, tells the user, and accepts it at once when the sender
   * is one the user listed.
   */
  async offered(from: PeerInfo, offer: FileOfferMessage): Promise<void> {
    const record: TransferRecord = {
      id: offer.id,
      direction: "in",
      peerId: from.id,
      name: safeFileName(offer.name),
      size: offer.size,
      chunkSize: offer.chunkSize,
      sha256: offer.sha256,
      status: "offered",
      createdAt: Date.now(),
      chunks: offer.chunks,
    };
    await this.#book.save(record);
    this.#options.emit({
      event: "file_offer",
      id: offer.id,
      from,
      name: record.name,
      size: offer.size,
      sha256: offer.sha256,
    });
    if (this.#acceptFrom.has(nameKey(from.name)) && this.#options.isVerified(from)) {
      this.#track(
        this.accept(offer.id).catch((error) =>
          this.#options.emit({ event: "error", message: (error as Error).message })
        ),
      );
    }
  }

  /**
   * Accepts offer `idOrPrefix` into `dir` (default the download directory).
   * Refuses, leaving the offer open, when the disk has less room than the
   * file. Resolves with the record. Throws {@linkcode FileTransferError}.
   */
  async accept(idOrPrefix: string, dir = this.#options.downloadDir): Promise<TransferRecord> {
    const record = this.#find(idOrPrefix, (r) => r.direction === "in");
    if (record.status !== "offered") {
      throw new FileTransferError(
        "not_offered",
        `${record.name} (${shortId(record.id)}) is ${record.status}, not waiting for an answer`,
      );
    }
    try {
      await Deno.mkdir(dir, { recursive: true });
    } catch (error) {
      throw new FileTransferError("no_space", `Cannot use ${dir}: ${(error as Error).message}`);
    }
    const free = await freeBytes(dir);
    if (free < record.size) {
      throw new FileTransferError(
        "no_space",
        `Not enough space for ${record.name} in ${dir}: it needs ${formatBytes(record.size)}, ` +
          `${formatBytes(free)} is free`,
      );
    }
    const accepted: TransferRecord = {
      ...record,
      status: "transferring",
      dir: await Deno.realPath(dir),
      part: await createPartFile(dir, record.name),
    };
    await this.#book.save(accepted);
    await this.#startDownload(accepted);
    return accepted;
  }

  /** Declines offer `idOrPrefix`; the sender hears `file_declined`. Throws {@linkcode FileTransferError}. */
  async decline(idOrPrefix: string): Promise<TransferRecord> {
    const record = this.#find(idOrPrefix, (r) => r.direction === "in");
    if (record.status !== "offered") {
      throw new FileTransferError(
        "not_offered",
        `${record.name} (${shortId(record.id)}) is ${record.status}, not waiting for an answer`,
      );
    }
    const declined: TransferRecord = { ...record, status: "declined", declineOwed: true };
    await this.#book.save(declined);
    this.#sayDeclined(declined, this.#options.links.openLink(record.peerId));
    if (!this.#options.links.openLink(record.peerId)) this.#dial(record.peerId);
    return declined;
  }

  /** Every transfer, newest first. */
  list(): FileTransferInfo[] {
    return this.#book.all().map((record) => ({
      id: record.id,
      direction: record.direction,
      peer: this.#peer(record.peerId),
      name: record.name,
      size: record.size,
      sha256: record.sha256,
      status: record.status,
      bytes: this.#bytes(record),
      path: record.path ?? record.source,
      reason: record.reason,
    }));
  }

  /** A file message arrived on `link`. Never throws. */
  receive(link: DirectLink, message: Exclude<FileMessage, FileOfferMessage>): void {
    const record = this.#book.get(message.id);
    if (!record || record.peerId !== link.peerId) {
      // Not ours to answer about (or another peer's transfer): say so once, ignore.
      if (message.type === "file_request") {
        link.send({ type: "file_abort", id: message.id, reason: "no such transfer" });
      }
      return;
    }
    switch (message.type) {
      case "file_request":
        if (record.direction !== "out") return;
        if (record.status === "offered") {
          const transferring = { ...record, status: "transferring" as const };
          this.#track(this.#book.save(transferring));
          return this.#server.serve(link, transferring, message);
        }
        if (record.status !== "transferring") {
          link.send({ type: "file_abort", id: record.id, reason: `transfer ${record.status}` });
          return;
        }
        return this.#server.serve(link, record, message);
      case "file_chunk":
        return this.#downloads.get(record.id)?.receive(link, message);
      case "file_decline":
        if (record.direction !== "out" || record.status === "declined") return;
        this.#server.close(record.id);
        this.#end(record, "declined");
        return;
      case "file_complete": {
        if (record.direction !== "out" || record.status === "done") return;
        this.#server.close(record.id);
        const transferred = this.#sent.get(record.id)?.bytes ?? 0;
        this.#track(this.#book.save({ ...record, status: "done" }));
        this.#options.emit({
          event: "file_done",
          id: record.id,
          path: record.source!,
          sha256: record.sha256,
          transferred,
        });
        return;
      }
      case "file_abort":
        if (record.direction === "in") {
          // The sender gave up: nothing more will come.
          const download = this.#downloads.get(record.id);
          if (download) download.fail(message.reason);
          else if (record.status === "offered") this.#end(record, "failed", message.reason);
          return;
        }
        this.#server.close(record.id);
        if (record.status === "transferring" || record.status === "offered") {
          this.#end(record, "failed", message.reason);
        }
        return;
    }
  }

  /** A link to a peer opened: downloads from it go on, owed declines are said. */
  linkOpened(link: DirectLink): void {
    for (const download of this.#downloads.values()) {
      if (download.record.peerId === link.peerId) download.resume(link);
    }
    for (const record of this.#book.all()) {
      if (record.peerId === link.peerId && record.declineOwed) this.#sayDeclined(record, link);
    }
  }

  linkClosed(link: DirectLink): void {
    for (const download of this.#downloads.values()) download.linkClosed(link);
  }

  /** `peerId` is listed again: dial it if a download waits for it. */
  peerAvailable(peerId: string): void {
    if (this.#options.links.openLink(peerId)) return;
    const waiting = [...this.#downloads.values()].some((d) => d.record.peerId === peerId) ||
      this.#book.all().some((r) => r.peerId === peerId && r.declineOwed);
    if (waiting) this.#dial(peerId);
  }

  /** Flushes downloads (they resume next run) and closes files. */
  async shutdown(): Promise<void> {
    await Promise.allSettled([...this.#downloads.values()].map((d) => d.close()));
    await this.#server.shutdown();
    while (this.#work.size > 0) await Promise.allSettled(this.#work);
    await this.#book.settled();
  }

  async #startDownload(record: TransferRecord): Promise<void> {
    const download = new Download(record, {
      book: this.#book,
      handler: {
        progress: (r, bytes) => this.#progress(r, bytes),
        done: (r, path, transferred) => {
          this.#downloads.delete(r.id);
          this.#sendTo(r.peerId, { type: "file_complete", id: r.id });
          this.#track(this.#book.save({ ...r, status: "done", path }));
          this.#options.emit({ event: "file_done", id: r.id, path, sha256: r.sha256, transferred });
        },
        failed: (r, reason) => {
          this.#downloads.delete(r.id);
          this.#sendTo(r.peerId, { type: "file_abort", id: r.id, reason });
          this.#end(r, "failed", reason);
        },
        linkLost: (r) => this.#dial(r.peerId),
        corrupt: (r, index) =>
          this.#options.logger.warn("file chunk failed its SHA-256; fetching it again", {
            id: shortId(r.id),
            chunk: index,
          }),
      },
    });
    try {
      await download.open();
    } catch (error) {
      this.#end(record, "failed", `cannot open ${record.part}: ${(error as Error).message}`);
      return;
    }
    this.#downloads.set(record.id, download);
    if (download.bytes > 0) {
      this.#options.logger.info("resuming a download", {
        id: shortId(record.id),
        verified: download.bytes,
        size: record.size,
      });
    }
    const link = this.#options.links.openLink(record.peerId);
    if (link) download.resume(link);
    else this.#dial(record.peerId);
  }

  #dial(peerId: string): void {
    const listed = this.#options.directory.get(peerId);
    if (!listed) return; // offline: peerAvailable dials when it is back
    // linkOpened resumes whatever waits for this peer.
    this.#track(
      this.#options.links.linkTo(listed).catch((error) => {
        if (!(error instanceof LinkError)) throw error;
        this.#options.logger.debug("file transfer waits for a link", {
          peer: shortId(peerId),
          reason: error.message,
        });
      }),
    );
  }

  #sayDeclined(record: TransferRecord, link: DirectLink | undefined): void {
    if (!link || link.closed) return;
    link.send({ type: "file_decline", id: record.id });
    // Said on a live link; a sender that missed it hears it on the next one.
    this.#track(this.#book.save({ ...record, declineOwed: false }));
  }

  #sendTo(peerId: string, message: Exclude<FileMessage, FileOfferMessage>): void {
    this.#options.links.openLink(peerId)?.send(message);
  }

  #end(record: TransferRecord, status: "failed" | "declined", reason?: string): void {
    const current = this.#book.get(record.id) ?? record;
    this.#track(this.#book.save({ ...current, status, reason }));
    this.#lastProgress.delete(record.id);
    if (status === "declined") this.#options.emit({ event: "file_declined", id: record.id });
    else this.#options.emit({ event: "file_failed", id: record.id, reason: reason ?? "failed" });
  }

  #progress(record: TransferRecord, bytes: number): void {
    const now = Date.now();
    const last = this.#lastProgress.get(record.id) ?? 0;
    if (now - last < PROGRESS_EVERY_MS) return;
    this.#lastProgress.set(record.id, now);
    this.#options.emit({ event: "file_progress", id: record.id, bytes, size: record.size });
  }

  #bytes(record: TransferRecord): number {
    if (record.status === "done") return record.size;
    if (record.direction === "in") return this.#downloads.get(record.id)?.bytes ?? 0;
    return Math.min(record.size, this.#sent.get(record.id)?.bytes ?? 0);
  }

  /** The transfer `idOrPrefix` names among those `which` accepts. */
  #find(idOrPrefix: string, which: (record: TransferRecord) => boolean): TransferRecord {
    const wanted = idOrPrefix.trim().toLowerCase();
    const candidates = this.#book.all().filter(which);
    const exact = candidates.find((r) => r.id === wanted);
    if (exact) return exact;
    const matches = wanted.length < MIN_ID_PREFIX
      ? []
      : candidates.filter((r) => r.id.startsWith(wanted));
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      throw new FileTransferError(
        "ambiguous_id",
        `${idOrPrefix} is the start of ${matches.length} transfers' IDs; type more of it (see /files)`,
      );
    }
    throw new FileTransferError(
      "unknown_transfer",
      `No file offered to you has ID ${idOrPrefix}` +
        (wanted.length < MIN_ID_PREFIX
          ? ` (give the ID or its first ${MIN_ID_PREFIX}+ characters)`
          : " (see /files)"),
    );
  }

  #peer(peerId: string): PeerInfo {
    return this.#options.directory.lastKnown(peerId) ??
      { id: peerId, name: shortId(peerId), address: "" };
  }

  #track(task: Promise<unknown>): void {
    const tracked = task.catch((error) =>
      this.#options.logger.error("file transfer bookkeeping failed", { error: String(error) })
    ).finally(() => this.#work.delete(tracked));
    this.#work.add(tracked);
  }
}
