/**
 * Relaying, the third path: when neither a dial nor a hole punch gets
 * through (a symmetric NAT, a strict firewall), the registry forwards the
 * link's bytes between the two peers' registry connections. A circuit is a
 * {@linkcode ByteConnection} like any socket, so the same handshake runs end
 * to end inside it and the same sealed frames cross it: the registry relays
 * ciphertext and cannot read or forge a message.
 *
 * ```
 * opener              registry               target
 *   relay_open ───────▶   ── relay_incoming ──▶
 *   ◀── relay_ready   ◀──────── relay_accept ──
 *   relay_data ◀──────────────────────────────▶ relay_data   (sealed link frames)
 *   relay_close ──────▶   ── relay_close ─────▶
 * ```
 *
 * Flow control: a sender keeps at most the circuit's `window` of bytes
 * unacknowledged; the registry acknowledges (`relay_ack`) what it passed on,
 * at the circuit's rate and only as fast as the receiver reads, so a relayed
 * link slows down rather than piling bytes up in the registry.
 */

import { DeadlineError, within } from "../../async/mod.ts";
import type { Logger } from "../../log/mod.ts";
import {
  type ByteConnection,
  newRendezvousId,
  type PeerInfo,
  type RelayAckMessage,
  type RelayCloseMessage,
  type RelayCloseReason,
  type RelayDataMessage,
  type RelayIncomingMessage,
  type RelayReadyMessage,
  shortId,
} from "../../protocol/mod.ts";
import { PathFailure } from "./link_paths.ts";
import { type Rendezvous, RendezvousUnavailable } from "./rendezvous.ts";

/** Options for {@linkcode RelayCircuits}. */
export interface RelayCircuitsOptions {
  rendezvous: Rendezvous;
  logger: Logger;
  /** Whether to take circuits other peers open (else they are refused). */
  answer: boolean;
  /** A circuit another peer opened is ready: the link pool secures it. */
  incoming(conn: RelayConnection, peerId: string): void;
  /** How long the registry and the target have to set a circuit up. Default 3 s. */
  openMs?: number;
}

/** Received bytes a circuit holds for a reader that does not read (then it closes). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** This peer's relay circuits. */
export class RelayCircuits {
  readonly #options: RelayCircuitsOptions;
  readonly #circuits = new Map<string, RelayConnection>();

  constructor(options: RelayCircuitsOptions) {
    this.#options = options;
  }

  /** Opens a circuit to `peer`; throws {@linkcode PathFailure}. */
  async open(peer: PeerInfo): Promise<RelayConnection> {
    const registry = this.#options.rendezvous.registry;
    if (!registry) throw new PathFailure("relay", "no registry to relay through");
    const circuit = newRendezvousId();
    const conn = new RelayConnection(circuit, this.#options.rendezvous, registry, () => {
      this.#circuits.delete(circuit);
    });
    this.#circuits.set(circuit, conn);
    try {
      await this.#options.rendezvous.send({ type: "relay_open", circuit, to: peer.id });
      await within(conn.ready, this.#options.openMs ?? 3000, "relay circuit");
      return conn;
    } catch (error) {
      conn.end();
      if (error instanceof RelayRefused) {
        throw new PathFailure(
          "relay",
          `the registry did not relay to ${peer.name}: ${error.reason}`,
        );
      }
      if (error instanceof RendezvousUnavailable || error instanceof DeadlineError) {
        throw new PathFailure("relay", `no relay to ${peer.name}: ${error.message}`);
      }
      throw error;
    }
  }

  /** A relay message from the registry. */
  handle(
    message:
      | RelayIncomingMessage
      | RelayReadyMessage
      | RelayAckMessage
      | RelayDataMessage
      | RelayCloseMessage,
  ): void {
    const conn = this.#circuits.get(message.circuit);
    switch (message.type) {
      case "relay_incoming":
        return this.#incoming(message);
      case "relay_ready":
        return conn?.opened(message.window, message.chunk);
      case "relay_ack":
        return conn?.acknowledged(message.bytes);
      case "relay_data": {
        if (!conn) return; // closed here while its bytes were on the way
        let bytes: Uint8Array;
        try {
          bytes = Uint8Array.fromBase64(message.data);
        } catch {
          this.#options.logger.warn("relay sent bytes that are not base64; circuit closed", {
            circuit: message.circuit,
          });
          return conn.close();
        }
        return conn.push(bytes);
      }
      case "relay_close":
        return conn?.end(message.reason);
    }
  }

  /** The registry connection is gone, and every circuit through it with it. */
  lost(): void {
    for (const conn of [...this.#circuits.values()]) conn.end("closed");
    this.#circuits.clear();
  }

  #incoming(message: RelayIncomingMessage): void {
    const { rendezvous } = this.#options;
    const registry = rendezvous.registry;
    if (!this.#options.answer || !registry || this.#circuits.has(message.circuit)) {
      rendezvous.send({ type: "relay_close", circuit: message.circuit, reason: "refused" })
        .catch(() => {});
      return;
    }
    const conn = new RelayConnection(message.circuit, rendezvous, registry, () => {
      this.#circuits.delete(message.circuit);
    });
    conn.opened(message.window, message.chunk);
    this.#circuits.set(message.circuit, conn);
    rendezvous.send({ type: "relay_accept", circuit: message.circuit }).then(
      () => this.#options.incoming(conn, message.from),
      () => conn.end(),
    );
    this.#options.logger.debug("relay circuit offered", { peer: shortId(message.from) });
  }
}

/** The registry would not (or could no longer) relay. */
class RelayRefused extends Error {
  readonly reason: RelayCloseReason;
  constructor(reason: RelayCloseReason) {
    super(`relay circuit closed: ${reason}`);
    this.name = this.constructor.name;
    this.reason = reason;
  }
}

/**
 * One circuit, read and written like a TCP connection. Its remote address is
 * the registry's: that is where its bytes come from.
 */
export class RelayConnection implements ByteConnection {
  readonly circuit: string;
  readonly remoteAddr: Deno.NetAddr;
  readonly localAddr: Deno.NetAddr = { transport: "tcp", hostname: "0.0.0.0", port: 0 };
  /** Resolves when the circuit is open; rejects with why it was not. */
  readonly ready: Promise<void>;
  readonly #rendezvous: Rendezvous;
  readonly #forget: () => void;
  readonly #ready = Promise.withResolvers<void>();
  #window = 0;
  #chunk = 0;
  #unacknowledged = 0;
  #received: Uint8Array[] = [];
  #receivedBytes = 0;
  #wake: (() => void) | undefined;
  #wakeWriter: (() => void) | undefined;
  #ended = false;

  constructor(
    circuit: string,
    rendezvous: Rendezvous,
    registry: { hostname: string; port: number },
    forget: () => void,
  ) {
    this.circuit = circuit;
    this.#rendezvous = rendezvous;
    this.#forget = forget;
    this.remoteAddr = { transport: "tcp", hostname: registry.hostname, port: registry.port };
    this.ready = this.#ready.promise;
    this.ready.catch(() => {});
  }

  /** The registry says the circuit is open, with this window and largest chunk. */
  opened(window: number, chunk: number): void {
    this.#window = window;
    this.#chunk = chunk;
    this.#ready.resolve();
  }

  /** The registry passed on `bytes` of ours: that many more may go. */
  acknowledged(bytes: number): void {
    this.#unacknowledged = Math.max(0, this.#unacknowledged - bytes);
    this.#wakeWriter?.();
  }

  /** Bytes that came through the circuit. */
  push(bytes: Uint8Array): void {
    if (this.#ended) return;
    this.#received.push(bytes);
    this.#receivedBytes += bytes.length;
    if (this.#receivedBytes > MAX_BUFFERED_BYTES) return this.close();
    this.#wake?.();
  }

  /** The circuit ended (the registry or the other side closed it). */
  end(reason: RelayCloseReason = "closed"): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#ready.reject(new RelayRefused(reason));
    this.#forget();
    this.#wake?.();
    this.#wakeWriter?.();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#received.length === 0) {
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
    const chunk = this.#received[0];
    const count = Math.min(chunk.length, buffer.length);
    buffer.set(chunk.subarray(0, count));
    if (count === chunk.length) this.#received.shift();
    else this.#received[0] = chunk.subarray(count);
    this.#receivedBytes -= count;
    return count;
  }

  async write(bytes: Uint8Array): Promise<number> {
    for (let offset = 0; offset < bytes.length; offset += this.#chunk) {
      if (this.#ended) throw new Deno.errors.BrokenPipe("The relay circuit is closed");
      const chunk = bytes.subarray(offset, offset + this.#chunk);
      while (this.#unacknowledged + chunk.length > this.#window) {
        await new Promise<void>((resolve) => this.#wakeWriter = resolve);
        this.#wakeWriter = undefined;
        if (this.#ended) throw new Deno.errors.BrokenPipe("The relay circuit is closed");
      }
      this.#unacknowledged += chunk.length;
      try {
        await this.#rendezvous.send({
          type: "relay_data",
          circuit: this.circuit,
          data: chunk.toBase64(),
        });
      } catch (error) {
        if (!(error instanceof RendezvousUnavailable)) throw error;
        this.end();
        throw new Deno.errors.BrokenPipe(`The relay circuit is gone: ${error.message}`);
      }
    }
    return bytes.length;
  }

  /** Closes the circuit (the other side hears `relay_close`). */
  close(): void {
    if (this.#ended) throw new Deno.errors.BadResource("The relay circuit is already closed");
    this.#rendezvous.send({ type: "relay_close", circuit: this.circuit, reason: "closed" })
      .catch(() => {});
    this.end();
  }
}
