/**
 * What benchmarks 1 and 2 are measured against, in the same process: a raw
 * TCP echo, raw JSON frames answered by JSON acks, and one durable SQLite
 * commit of a stored message — the physics any durable chat message pays.
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { encodeMessage, FrameDecoder, newMessageId } from "../../protocol/mod.ts";

/** The 100-character text every link benchmark sends. */
export const TEXT = "x".repeat(100);

/**
 * One durable commit at a time: each stores one 100-character message in
 * its own transaction, in a WAL database with `synchronous = FULL` (as the
 * message store runs) in a temp directory on the disk the peers use. Calls
 * block this thread, so nothing else runs while one is measured.
 */
export class RawCommits implements AsyncDisposable {
  readonly #dir: string;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#db = new DatabaseSync(`${dir}/commit.db`);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
    this.#db.exec(
      "CREATE TABLE messages (peer_id TEXT, id TEXT, direction TEXT, text TEXT, sent_at INTEGER, " +
        "broadcast INTEGER, status TEXT, PRIMARY KEY (peer_id, id, direction)) WITHOUT ROWID",
    );
    this.#insert = this.#db.prepare(
      "INSERT INTO messages VALUES (?, ?, 'in', ?, ?, 0, 'delivered')",
    );
  }

  static async open(): Promise<RawCommits> {
    return new RawCommits(await Deno.makeTempDir({ prefix: "p2pchat-bench-commit-" }));
  }

  /** Commits one message; returns how long it took, in ms. */
  commit(): number {
    const started = performance.now();
    this.#db.exec("BEGIN");
    this.#insert.run("p".repeat(52), newMessageId(), TEXT, Date.now());
    this.#db.exec("COMMIT");
    return performance.now() - started;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#db.close();
    await Deno.remove(this.#dir, { recursive: true });
  }
}

/** A TCP echo server and client in this process, echoing an encoded chat frame. */
export class RawEcho implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #conn: Deno.TcpConn;
  readonly #serving: Promise<void>;
  readonly #frame = encodeMessage({
    type: "chat",
    id: newMessageId(),
    text: TEXT,
    sentAt: Date.now(),
    broadcast: false,
  });
  readonly #buffer = new Uint8Array(4096);

  private constructor(listener: Deno.Listener, conn: Deno.TcpConn, serving: Promise<void>) {
    this.#listener = listener;
    this.#conn = conn;
    this.#serving = serving;
  }

  static async open(): Promise<RawEcho> {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const serving = (async () => {
      const conn = await listener.accept();
      conn.setNoDelay(true);
      const buffer = new Uint8Array(4096);
      while (true) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) break;
        await conn.write(buffer.subarray(0, n));
      }
      conn.close();
    })();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    conn.setNoDelay(true);
    return new RawEcho(listener, conn, serving);
  }

  /** One round trip of the frame; returns how long it took, in ms. */
  async trip(): Promise<number> {
    const started = performance.now();
    await this.#conn.write(this.#frame);
    let got = 0;
    while (got < this.#frame.length) got += (await this.#conn.read(this.#buffer)) ?? Infinity;
    return performance.now() - started;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#conn.close();
    await this.#serving;
    this.#listener.close();
  }
}

/**
 * Raw pipelined baseline: `messages` JSON frames written as fast as the
 * socket takes them; the receiver decodes each and answers with a JSON ack
 * frame; done when every ack is back. Returns seconds.
 */
export async function rawPipelined(messages: number): Promise<number> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    const decoder = new FrameDecoder();
    const text = new TextDecoder();
    const buffer = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      const acks: Uint8Array[] = [];
      for (const payload of decoder.push(buffer.subarray(0, n))) {
        const message = JSON.parse(text.decode(payload));
        acks.push(encodeMessage({ type: "ack", id: message.id }));
      }
      const out = new Uint8Array(acks.reduce((sum, a) => sum + a.length, 0));
      let offset = 0;
      for (const ack of acks) {
        out.set(ack, offset);
        offset += ack.length;
      }
      for (let written = 0; written < out.length;) {
        written += await conn.write(out.subarray(written));
      }
    }
    conn.close();
  })();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const started = performance.now();
  const reading = (async () => {
    const decoder = new FrameDecoder();
    const text = new TextDecoder();
    const buffer = new Uint8Array(65536);
    let acked = 0;
    while (acked < messages) {
      const n = await conn.read(buffer);
      if (n === null) break;
      for (const payload of decoder.push(buffer.subarray(0, n))) {
        JSON.parse(text.decode(payload));
        acked++;
      }
    }
  })();
  const batch: Uint8Array[] = [];
  for (let i = 0; i < messages; i++) {
    batch.push(
      encodeMessage({
        type: "chat",
        id: newMessageId(),
        text: TEXT,
        sentAt: Date.now(),
        broadcast: false,
      }),
    );
    if (batch.length === 256 || i === messages - 1) {
      const out = new Uint8Array(batch.reduce((sum, f) => sum + f.length, 0));
      let offset = 0;
      for (const frame of batch) {
        out.set(frame, offset);
        offset += frame.length;
      }
      batch.length = 0;
      for (let written = 0; written < out.length;) {
        written += await conn.write(out.subarray(written));
      }
    }
  }
  await reading;
  const seconds = (performance.now() - started) / 1000;
  conn.close();
  await serving;
  return seconds;
}
