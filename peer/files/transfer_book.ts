/**
 * What is kept about each transfer, so that either side can stop and start
 * again: one JSON file per transfer in the data directory, and for a
 * download its record of verified chunks (one byte per chunk). The chunk
 * record is only ever written after the chunks it marks were flushed to the
 * `.part` file, so a chunk marked verified is on disk.
 */

/** A transfer as kept on disk. */
export interface TransferRecord {
  id: string;
  direction: "out" | "in";
  peerId: string;
  name: string;
  size: number;
  chunkSize: number;
  sha256: string;
  status: "offered" | "transferring" | "done" | "failed" | "declined";
  createdAt: number;
  /** Sender: the file offered. */
  source?: string;
  mtimeMs?: number;
  /** Receiver: each chunk's digest, base64 (as the offer carried them). */
  chunks?: string;
  /** Receiver: where the download goes, its `.part` file, the finished file. */
  dir?: string;
  part?: string;
  path?: string;
  reason?: string;
  /** Receiver: the decline is said again on every new link until the sender answers. */
  declineOwed?: boolean;
}

/** The records of one peer's transfers; in memory only without a directory. */
export class TransferBook {
  readonly #dir: string | undefined;
  readonly #records = new Map<string, TransferRecord>();
  #writes: Promise<void> = Promise.resolve();

  private constructor(dir: string | undefined) {
    this.#dir = dir;
  }

  /** Loads the records kept in `dir` (created if missing). */
  static async open(dir: string | undefined): Promise<TransferBook> {
    const book = new TransferBook(dir);
    if (dir === undefined) return book;
    await Deno.mkdir(dir, { recursive: true });
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      try {
        const record = JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}`));
        book.#records.set(record.id, record);
      } catch {
        // A record torn by a crash while first written: its offer is still
        // in the store, and nothing of it was transferred yet.
      }
    }
    return book;
  }

  get(id: string): TransferRecord | undefined {
    return this.#records.get(id);
  }

  all(): TransferRecord[] {
    return [...this.#records.values()].sort((a, b) => b.id.localeCompare(a.id));
  }

  /** Saves a record (atomically: a temporary file renamed over the old one). */
  save(record: TransferRecord): Promise<void> {
    this.#records.set(record.id, record);
    const dir = this.#dir;
    if (dir === undefined) return Promise.resolve();
    const text = JSON.stringify(record);
    const write = this.#writes.then(async () => {
      await Deno.writeTextFile(`${dir}/${record.id}.json.tmp`, text);
      await Deno.rename(`${dir}/${record.id}.json.tmp`, `${dir}/${record.id}.json`);
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  /** The verified-chunk record of download `id` (all zero when none was kept). */
  async verified(id: string, count: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(count);
    if (this.#dir === undefined) return bytes;
    try {
      const kept = await Deno.readFile(`${this.#dir}/${id}.chunks`);
      bytes.set(kept.subarray(0, count));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return bytes;
  }

  /** Keeps the verified-chunk record of download `id`. */
  async saveVerified(id: string, verified: Uint8Array): Promise<void> {
    if (this.#dir === undefined) return;
    await Deno.writeFile(`${this.#dir}/${id}.chunks`, verified);
  }

  /** Forgets the chunk record of a finished download. */
  async dropVerified(id: string): Promise<void> {
    if (this.#dir === undefined) return;
    await Deno.remove(`${this.#dir}/${id}.chunks`).catch(() => {});
  }

  /** Waits for the record writes started so far. */
  async settled(): Promise<void> {
    await this.#writes;
  }
}
