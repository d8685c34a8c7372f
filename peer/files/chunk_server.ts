/**
 * The sender's side of transfers: answers `file_request`s with chunks read
 * from the offered file, after checking before every chunk that the file
 * still has the size and modification time it had when it was hashed — a
 * file edited after the offer fails clearly instead of arriving mixed.
 */

import type { FileRequestMessage } from "../../protocol/mod.ts";
import type { DirectLink } from "../link/mod.ts";
import { readFullySync } from "./manifest.ts";
import type { TransferRecord } from "./transfer_book.ts";

/** What {@linkcode ChunkServer} reports. */
export interface ChunkServerHandler {
  /** `bytes` more of transfer `record` went onto a link. */
  sent(record: TransferRecord, bytes: number): void;
  /** The file cannot be served any more (changed, gone, unreadable). */
  failed(record: TransferRecord, reason: string): void;
}

interface OpenFile {
  file: Deno.FsFile;
  /** Requests of this transfer are served one after another, in order. */
  tail: Promise<void>;
  /** Resolves when the transfer is closed: a wait for the link gives up then. */
  closed: PromiseWithResolvers<void>;
}

/** Serves chunks of offered files. */
export class ChunkServer {
  readonly #handler: ChunkServerHandler;
  readonly #open = new Map<string, OpenFile>();

  constructor(handler: ChunkServerHandler) {
    this.#handler = handler;
  }

  /** Queues the chunks `request` asks for, to be sent on `link`. */
  serve(link: DirectLink, record: TransferRecord, request: FileRequestMessage): void {
    let open = this.#open.get(record.id);
    if (!open) {
      open = {
        file: undefined as unknown as Deno.FsFile,
        tail: Promise.resolve(),
        closed: Promise.withResolvers(),
      };
      const opening = Deno.open(record.source!, { read: true }).then((file) => {
        open!.file = file;
      });
      open.tail = opening;
      this.#open.set(record.id, open);
    }
    const entry = open;
    entry.tail = entry.tail.then(async () => {
      for (const index of request.chunks) {
        // One chunk waits in the link at a time: read from disk as the link
        // takes them, so chat queued meanwhile goes first and memory stays flat.
        await Promise.race([link.bulkSent(), entry.closed.promise]);
        if (link.closed || this.#open.get(record.id) !== entry) return;
        const problem = changed(record);
        if (problem) throw new Error(problem);
        const offset = index * record.chunkSize;
        if (offset >= record.size) continue;
        const data = new Uint8Array(Math.min(record.chunkSize, record.size - offset));
        // Synchronous on purpose: half a megabyte from the page cache takes
        // microseconds, while three async file ops per chunk (stat, seek,
        // read) kept the sender's thread waiting on the op pool (profiled).
        entry.file.seekSync(offset, Deno.SeekMode.Start);
        readFullySync(entry.file, data);
        link.send({ type: "file_chunk", id: record.id, index, data });
        this.#handler.sent(record, data.length);
      }
    }).catch((error) => {
      this.close(record.id);
      this.#handler.failed(record, (error as Error).message);
    });
  }

  /** Closes the file of a transfer that is over. */
  close(id: string): void {
    const open = this.#open.get(id);
    if (!open) return;
    this.#open.delete(id);
    open.closed.resolve();
    open.tail.finally(() => {
      try {
        open.file?.close();
      } catch {
        // never opened, or closed already
      }
    });
  }

  /** Closes every file. */
  async shutdown(): Promise<void> {
    const tails = [...this.#open.values()].map((open) => open.tail);
    for (const id of [...this.#open.keys()]) this.close(id);
    await Promise.allSettled(tails);
  }
}

/** Why `record`'s file may not be served any more, or `undefined` when it is as offered. */
function changed(record: TransferRecord): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(record.source!);
  } catch (error) {
    return `${record.source} cannot be read any more: ${(error as Error).message}`;
  }
  if (info.size !== record.size) {
    return `${record.source} changed since it was offered (size ${record.size} → ${info.size} bytes)`;
  }
  if ((info.mtime?.getTime() ?? 0) !== record.mtimeMs) {
    return `${record.source} changed since it was offered (modified ${info.mtime?.toISOString()})`;
  }
  return undefined;
}
