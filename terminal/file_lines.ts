/**
 * How file transfers read on the terminal: an offer with the command that
 * accepts it, one progress line per transfer (percentage, rate, ETA) that is
 * rewritten in place rather than repeated, the end of each transfer, and
 * `/files`.
 */

import { type FileTransferInfo, formatBytes as size, type PeerEvent } from "../peer/mod.ts";

type FileEventOf<K extends string> = Extract<PeerEvent, { event: K }>;

/** Characters of a transfer ID shown (and enough to type in /accept). */
const ID_CHARS = 8;

/** Rate measured over the last this many ms of progress. */
const RATE_WINDOW_MS = 3000;

/** Tracks each transfer's recent progress, for its rate and ETA. */
export class FileLines {
  readonly #samples = new Map<string, { at: number; bytes: number }[]>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  offer(event: FileEventOf<"file_offer">, handle: string): string {
    return `* ${event.from.name} offers ${event.name} (${size(event.size)}): ` +
      `/accept ${handle} [DIR] or /decline ${handle}`;
  }

  offered(event: FileEventOf<"file_offered">): string {
    return `* offering ${event.name} (${size(event.size)}) to ${event.to.name} ` +
      `(${event.id.slice(0, ID_CHARS)}); it waits for their answer`;
  }

  /** `  ⇅ NAME  42%  12.3 MiB/s  ETA 0:08`. */
  progress(event: FileEventOf<"file_progress">, name: string): string {
    const now = this.#now();
    const samples = this.#samples.get(event.id) ?? [];
    samples.push({ at: now, bytes: event.bytes });
    while (samples.length > 2 && now - samples[0].at > RATE_WINDOW_MS) samples.shift();
    this.#samples.set(event.id, samples);
    const first = samples[0];
    const seconds = (now - first.at) / 1000;
    const rate = seconds > 0 ? (event.bytes - first.bytes) / seconds : 0;
    const percent = event.size === 0 ? 100 : Math.floor((event.bytes / event.size) * 100);
    const eta = rate > 0 ? clockTime((event.size - event.bytes) / rate) : "--:--";
    return `  ⇅ ${name}  ${percent}%  ${size(rate)}/s  ETA ${eta}`;
  }

  done(event: FileEventOf<"file_done">, name: string, incoming: boolean): string {
    this.#samples.delete(event.id);
    return incoming
      ? `* received ${name}: saved as ${event.path} (SHA-256 ${event.sha256.slice(0, 16)}… checked)`
      : `* ${name} sent; the receiver checked its SHA-256`;
  }

  failed(event: FileEventOf<"file_failed">, name: string): string {
    this.#samples.delete(event.id);
    return `! transfer of ${name} failed: ${event.reason}`;
  }

  declined(name: string): string {
    return `* ${name} was declined`;
  }

  list(transfers: FileTransferInfo[]): string {
    if (transfers.length === 0) return "* no file transfers yet (send one with /send NAME PATH)";
    return [
      `* ${transfers.length} file transfer(s):`,
      ...transfers.map((t) => {
        const arrow = t.direction === "out" ? `to ${t.peer.name}` : `from ${t.peer.name}`;
        const percent = t.size === 0 ? 100 : Math.floor((t.bytes / t.size) * 100);
        const where = t.path ? `  ${t.path}` : "";
        const why = t.reason ? `  (${t.reason})` : "";
        return `  ${t.id.slice(0, ID_CHARS)}  ${t.name} (${size(t.size)}) ${arrow}  ` +
          `${t.status} ${percent}%${where}${why}`;
      }),
    ].join("\n");
  }
}

/** `m:ss` or `h:mm:ss`. */
function clockTime(seconds: number): string {
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}
