/** What the file transfers tell user interfaces (the `--json` shapes). */

import type { PeerInfo } from "../../protocol/mod.ts";

/** One transfer, as `/files` and the `files` event list it. */
export interface FileTransferInfo {
  id: string;
  /** `out`: this peer offers it; `in`: offered to this peer. */
  direction: "out" | "in";
  peer: PeerInfo;
  name: string;
  size: number;
  sha256: string;
  status: TransferStatus;
  /** Bytes so far: verified (receiving) or sent (sending). */
  bytes: number;
  /** Where the file is: the source (sending), the finished download (received). */
  path?: string;
  reason?: string;
}

/**
 * `offered`: waiting for the receiver's answer; `transferring`: accepted, chunks
 * moving; `done`, `failed`, `declined`: over.
 */
export type TransferStatus = "offered" | "transferring" | "done" | "failed" | "declined";

/** File events; `id` is the offer's ID, the same on both sides. */
export type FileEvent =
  /** The receiver: `from` offers a file. */
  | { event: "file_offer"; id: string; from: PeerInfo; name: string; size: number; sha256: string }
  /** Answers `send_file`: the offer is stored and on its way (then `sent`/`pending`/`delivered`). */
  | {
    event: "file_offered";
    id: string;
    to: PeerInfo;
    name: string;
    size: number;
    sha256: string;
  }
  /** Both sides, at most ~4 a second per transfer. */
  | { event: "file_progress"; id: string; bytes: number; size: number }
  /**
   * Both sides: the receiver has the whole file with this SHA-256. `path` is
   * the saved file (receiver) or the source (sender); `transferred` counts
   * the bytes that crossed the link in this run, so a resumed transfer shows
   * it did not start again from zero.
   */
  | { event: "file_done"; id: string; path: string; sha256: string; transferred: number }
  | { event: "file_failed"; id: string; reason: string }
  /** The sender: the receiver declined. */
  | { event: "file_declined"; id: string }
  /** Answers `files`: every transfer this peer knows, newest first. */
  | { event: "files"; transfers: FileTransferInfo[] };
