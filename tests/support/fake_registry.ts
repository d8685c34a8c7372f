/**
 * A registry that lies, for tests of what a real peer process believes: it
 * speaks the registration protocol just far enough to welcome a peer, then
 * sends whatever list frames the test scripts (a false name, an endless
 * chunked snapshot, …). It checks nothing, and answers heartbeats.
 */

import {
  encodeFrame,
  encodeMessage,
  FrameStream,
  MessageChannel,
  parsePeerToRegistry,
  type PeerToRegistry,
  PROTOCOL_VERSION,
  type RegistryToPeer,
} from "../../protocol/mod.ts";

/** What the fake registry does once a peer has registered. */
export type Script = (session: FakeSession) => Promise<void> | void;

/** One welcomed peer's connection. */
export interface FakeSession {
  readonly epoch: string;
  /** Sends a message exactly as given (any shape). */
  send(message: RegistryToPeer | Record<string, unknown>): void;
  /** Sends a frame made once by `encodeMessage` (to send the same one many times). */
  sendEncoded(frame: Uint8Array): void;
  /** Resolves when everything sent so far left (or the peer stopped reading). */
  flushed(): Promise<void>;
  readonly closed: boolean;
}

/** A listener on 127.0.0.1 that welcomes every peer and runs `script` on it. */
export class FakeRegistry implements AsyncDisposable {
  readonly address: string;
  readonly #listener: Deno.TcpListener;
  readonly #tasks = new Set<Promise<void>>();
  readonly #streams = new Set<FrameStream>();
  readonly #accepting: Promise<void>;

  constructor(script: Script) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.address = `127.0.0.1:${this.#listener.addr.port}`;
    this.#accepting = this.#accept(script);
  }

  async #accept(script: Script): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const task = this.#serve(conn, script).catch(() => {});
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }

  async #serve(conn: Deno.TcpConn, script: Script): Promise<void> {
    const stream = new FrameStream(conn);
    this.#streams.add(stream);
    const channel = new MessageChannel<PeerToRegistry, RegistryToPeer>(stream, parsePeerToRegistry);
    const epoch = "fake-epoch";
    try {
      const hello = await channel.receive();
      if (hello?.type !== "hello") return;
      channel.send({
        type: "challenge",
        protocol: PROTOCOL_VERSION,
        nonce: crypto.getRandomValues(new Uint8Array(32)).toBase64(),
        epoch,
        registry: "fake-registry",
      });
      const register = await channel.receive();
      if (register?.type !== "register") return;
      channel.send({
        type: "welcome",
        id: register.id,
        name: register.name,
        address: `127.0.0.1:${register.listenPort}`,
        epoch,
        heartbeatMs: 1000,
        evictAfter: 30,
      });
      const session: FakeSession = {
        epoch,
        send: (message) => stream.writeFrame(encodeMessage(message)),
        sendEncoded: (frame) => stream.writeFrame(frame),
        flushed: () => stream.flushed(),
        get closed() {
          return stream.closed;
        },
      };
      await script(session);
      while (true) {
        const message = await channel.receive();
        if (message === null) return;
        if (message.type === "heartbeat") channel.send({ type: "heartbeat_ack", seq: message.seq });
      }
    } finally {
      stream.close();
      this.#streams.delete(stream);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const stream of this.#streams) stream.close();
    await Promise.allSettled(this.#tasks);
  }
}

/** What a {@linkcode RelayingRegistry} passed on, by message type, in each direction. */
export interface RelayedTraffic {
  /** From the peer that dialled the relay to the real registry. */
  toRegistry: string[];
  /** From the real registry back to that peer. */
  toPeer: string[];
}

/**
 * A malicious registry that registers its callers elsewhere: it opens a
 * connection to a real registry for every peer that dials it and passes the
 * frames both ways untouched, so the peer answers the real registry's
 * challenge, and the real registry sees that answer.
 */
export class RelayingRegistry implements AsyncDisposable {
  readonly address: string;
  readonly traffic: RelayedTraffic = { toRegistry: [], toPeer: [] };
  readonly #target: Deno.ConnectOptions;
  readonly #listener: Deno.TcpListener;
  readonly #streams = new Set<FrameStream>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;

  constructor(target: string) {
    const [hostname, port] = [target.slice(0, target.lastIndexOf(":")), target.split(":").pop()];
    this.#target = { hostname, port: Number(port) };
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.address = `127.0.0.1:${this.#listener.addr.port}`;
    this.#accepting = this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const task = this.#relay(conn).catch(() => {});
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }

  async #relay(conn: Deno.TcpConn): Promise<void> {
    const peer = new FrameStream(conn);
    const registry = new FrameStream(await Deno.connect(this.#target));
    for (const stream of [peer, registry]) this.#streams.add(stream);
    const pass = async (from: FrameStream, to: FrameStream, log: string[]) => {
      while (true) {
        const frame = await from.readFrame().catch(() => null);
        if (frame === null) break;
        log.push(JSON.parse(new TextDecoder().decode(frame)).type);
        to.writeFrame(encodeFrame(frame));
      }
      await to.flushed();
      to.close();
    };
    try {
      await Promise.all([
        pass(peer, registry, this.traffic.toRegistry),
        pass(registry, peer, this.traffic.toPeer),
      ]);
    } finally {
      for (const stream of [peer, registry]) {
        stream.close();
        this.#streams.delete(stream);
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const stream of this.#streams) stream.close();
    await Promise.allSettled(this.#tasks);
  }
}
