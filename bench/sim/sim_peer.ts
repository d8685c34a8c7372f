/**
 * A simulated peer for load tests: it speaks the real registry protocol
 * (through protocol/) and keeps the peer list from snapshot + deltas, but has
 * no store, no links and no timers of its own, so thousands fit in a worker.
 */

import {
  CLIENT_NAME,
  encodeMessage,
  FrameStream,
  type HostPort,
  MessageChannel,
  parseRegistryToPeer,
  type PeerToRegistry,
  PROTOCOL_VERSION,
  registrationTranscript,
  type RegistryToPeer,
} from "../../protocol/mod.ts";
import { Identity } from "../../peer/mod.ts";

/** How much of the peer list a simulated peer reads; see {@linkcode SimPeer.join}. */
export type SimMode = "full" | "count" | "light";

/** One simulated peer's view and counters. */
export class SimPeer {
  readonly identity: Identity;
  readonly name: string;
  readonly channel: MessageChannel<RegistryToPeer, PeerToRegistry>;
  /** Other peers' IDs → when this peer learned of them (performance.now()). */
  readonly known = new Map<string, number>();
  /** Peers that left, → when this peer learned of it. */
  readonly gone = new Map<string, number>();
  /** When the welcome arrived (performance.now()). */
  registeredAt = 0;
  epoch = "";
  seq = 0;
  gaps = 0;
  heartbeatsAcked = 0;
  #snapshotDone = false;
  #partial: string[] = [];
  #reading: Promise<void> | undefined;
  #waiters: (() => void)[] = [];

  private constructor(identity: Identity, name: string, stream: FrameStream) {
    this.identity = identity;
    this.name = name;
    this.channel = new MessageChannel(stream, parseRegistryToPeer);
  }

  /**
   * Connects and registers; resolves once the first snapshot is applied.
   * Modes: `full` parses every frame and tracks IDs; `count` only counts the
   * entries it is sent (valid for join-only workloads, where no one leaves)
   * without parsing; `light` ignores the list (it counts bytes and heartbeat
   * acks), so ten thousand fit beside a registry on two cores.
   */
  static async join(
    registry: HostPort,
    name: string,
    options: { identity?: Identity; mode?: SimMode } = {},
  ): Promise<SimPeer> {
    const id = options.identity ?? await Identity.generate();
    const conn = await Deno.connect({ ...registry, transport: "tcp" });
    conn.setNoDelay(true);
    const mode = options.mode ?? "full";
    const readBufferBytes = mode === "light" ? 4096 : 64 * 1024;
    const peer = new SimPeer(id, name, new FrameStream(conn, { readBufferBytes }));
    peer.#mode = mode;
    peer.#conn = conn;
    await peer.#register();
    return peer;
  }

  #mode: SimMode = "full";
  /** In `count` mode: peer entries received (the own entry included) and when the last came. */
  entriesSeen = 0;
  lastEntryAt = 0;

  get bytesRead(): number {
    return this.channel.stream.bytesRead + this.#skimmed;
  }

  get snapshotDone(): boolean {
    return this.#snapshotDone;
  }

  /** Sends one heartbeat (acks are counted as they arrive). */
  heartbeat(seq: number): void {
    this.channel.sendEncoded(encodeMessage({ type: "heartbeat", seq }));
  }

  /** Deregisters and closes. */
  async leave(): Promise<void> {
    this.channel.send({ type: "bye" });
    await this.channel.stream.flushed();
    this.channel.close();
    await this.#reading;
  }

  /** Closes without a word. */
  async close(): Promise<void> {
    this.channel.close();
    await this.#reading;
  }

  /** Resolves when `test` holds (checked after every message). */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (test()) resolve();
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  async #register(): Promise<void> {
    this.channel.send({ type: "hello", protocol: PROTOCOL_VERSION, client: CLIENT_NAME });
    const challenge = await this.channel.receive();
    if (challenge?.type !== "challenge") {
      throw new Error(`expected challenge, got ${challenge?.type}`);
    }
    const unsigned = { id: this.identity.id, name: this.name, listenPort: 9 };
    const signature = await this.identity.sign(registrationTranscript(challenge.nonce, unsigned));
    this.channel.send({
      type: "register",
      ...unsigned,
      publicKey: this.identity.publicKeyBase64,
      reconnects: 0,
      client: CLIENT_NAME,
      signature: signature.toBase64(),
    });
    const welcome = await this.channel.receive();
    if (welcome?.type !== "welcome") {
      throw new Error(
        `registration refused: ${welcome?.type === "error" ? welcome.message : welcome?.type}`,
      );
    }
    this.registeredAt = performance.now();
    this.#reading = this.#mode === "light"
      ? this.#skim()
      : this.#mode === "count"
      ? this.#tally()
      : this.#read();
    if (this.#mode !== "light") await this.until(() => this.#snapshotDone);
  }

  /** Count mode: one substring scan per frame instead of a parse. */
  async #tally(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      while (true) {
        const payload = await this.channel.stream.readFrame();
        if (payload === null) return;
        const text = decoder.decode(payload);
        let entries = 0;
        for (
          let at = text.indexOf('"address":');
          at >= 0;
          at = text.indexOf('"address":', at + 10)
        ) {
          entries++;
        }
        if (entries > 0) {
          this.entriesSeen += entries;
          this.lastEntryAt = performance.now();
        }
        if (text.startsWith('{"type":"snapshot"') && text.includes('"more":false')) {
          this.#snapshotDone = true;
        }
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const check of waiters) check();
      }
    } catch {
      // closed under us: done
    }
  }

  /**
   * Light mode: reads the socket directly and skips over frames without
   * copying them; only small frames (heartbeat acks) are looked at.
   */
  async #skim(): Promise<void> {
    const conn = this.#conn!;
    const buffer = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    let skip = 0; // payload bytes of the current frame still to pass over
    let small: number[] | undefined; // bytes of a small frame being collected
    let header: number[] = [];
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) return;
        this.#skimmed += n;
        let offset = 0;
        while (offset < n) {
          if (skip > 0) {
            const take = Math.min(skip, n - offset);
            if (small) small.push(...buffer.subarray(offset, offset + take));
            skip -= take;
            offset += take;
            if (skip === 0 && small) {
              if (decoder.decode(new Uint8Array(small)).includes('"heartbeat_ack"')) {
                this.heartbeatsAcked++;
              }
              small = undefined;
            }
            continue;
          }
          header.push(buffer[offset++]);
          if (header.length < 4) continue;
          skip = ((header[0] << 24) | (header[1] << 16) | (header[2] << 8) | header[3]) >>> 0;
          header = [];
          small = skip < 64 ? [] : undefined;
        }
      }
    } catch {
      // closed under us: done
    }
  }

  #skimmed = 0;
  #conn: Deno.TcpConn | undefined;

  async #read(): Promise<void> {
    // Parsed but not validated: a real peer's validation runs on its own
    // machine, while here a thousand peers share one thread; the load
    // generator must stay cheaper than what it measures.
    const decoder = new TextDecoder();
    try {
      while (true) {
        const payload = await this.channel.stream.readFrame();
        if (payload === null) return;
        this.#apply(JSON.parse(decoder.decode(payload)) as RegistryToPeer);
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const check of waiters) check();
      }
    } catch {
      // closed under us: done
    }
  }

  #apply(message: RegistryToPeer): void {
    const now = performance.now();
    switch (message.type) {
      case "snapshot":
        for (const peer of message.peers) this.#partial.push(peer.id);
        if (message.more) return;
        for (const id of this.#partial) {
          if (id !== this.identity.id && !this.known.has(id)) this.known.set(id, now);
        }
        this.#partial = [];
        this.epoch = message.epoch;
        this.seq = message.seq;
        this.#snapshotDone = true;
        return;
      case "peers_delta":
        if (message.epoch !== this.epoch || message.seq !== this.seq + 1) {
          this.gaps++;
          this.channel.send({ type: "snapshot_request" });
          return;
        }
        this.seq = message.seq;
        for (const change of message.changes) {
          if (change.op === "left") {
            this.known.delete(change.id);
            this.gone.set(change.id, now);
          } else if (change.peer.id !== this.identity.id && !this.known.has(change.peer.id)) {
            this.known.set(change.peer.id, now);
          }
        }
        return;
      case "heartbeat_ack":
        this.heartbeatsAcked++;
        return;
    }
  }
}
