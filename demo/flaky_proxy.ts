/**
 * A TCP relay that can fail like a network: it can cut every connection it
 * relays, or go silent (forward nothing, accept nobody, like a network that
 * drops packets) and cut the connections it held when it comes back. While
 * silent, one side closing is not passed on either: the other side sees an
 * open connection that says nothing, as across a dead network. The demo
 * routes one peer to the registry through it; tests cut links under traffic.
 */

import type { HostPort } from "../protocol/mod.ts";

/** The bytes of one relayed connection, as they crossed the relay. */
export interface Capture {
  /** From the connecting side to the target. */
  upstream: Uint8Array[];
  /** From the target back. */
  downstream: Uint8Array[];
}

/** Options for {@linkcode FlakyProxy}. */
export interface FlakyProxyOptions {
  /** Keep a copy of every byte relayed, per connection (an eavesdropper's view). */
  record?: boolean;
  /** Forward at most this many bytes a second in each direction of each connection (a slow line). */
  bytesPerSecond?: number;
}

/** A relay from a local port to `target`. */
export class FlakyProxy implements AsyncDisposable {
  readonly address: Deno.NetAddr;
  /** With `record`: one entry per connection relayed, in the order accepted. */
  readonly captures: Capture[] = [];
  readonly #record: boolean;
  readonly #bytesPerSecond: number | undefined;
  readonly #listener: Deno.TcpListener;
  #target: HostPort;
  readonly #pairs = new Set<[Deno.TcpConn, Deno.TcpConn]>();
  readonly #tasks = new Set<Promise<void>>();
  #frozen = false;
  #accepting: Promise<void>;

  constructor(target: HostPort, options: FlakyProxyOptions = {}) {
    this.#target = target;
    this.#record = options.record ?? false;
    this.#bytesPerSecond = options.bytesPerSecond;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
    this.address = this.#listener.addr;
    this.#accepting = this.#accept();
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  /** Sends new connections to `target` from now on. */
  retarget(target: HostPort): void {
    this.#target = target;
  }

  /** Cuts every connection it is relaying now, as a network failure would. */
  cut(): number {
    let cut = 0;
    for (const pair of this.#pairs) {
      for (const conn of pair) close(conn);
      cut++;
    }
    return cut;
  }

  /**
   * Stops forwarding; held connections stay open but silent, even when one
   * side closes its end meanwhile.
   */
  freeze(): void {
    this.#frozen = true;
  }

  /** Forwards again; connections held while frozen are cut. */
  thaw(): void {
    this.#frozen = false;
    this.cut();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    this.thaw();
    await Promise.all(this.#tasks);
  }

  async #accept(): Promise<void> {
    try {
      for await (const inbound of this.#listener) {
        if (this.#frozen) {
          close(inbound);
          continue;
        }
        const task = this.#relay(inbound).finally(() => this.#tasks.delete(task));
        this.#tasks.add(task);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }

  async #relay(inbound: Deno.TcpConn): Promise<void> {
    let outbound: Deno.TcpConn;
    try {
      outbound = await Deno.connect({ ...this.#target, transport: "tcp" });
    } catch {
      close(inbound);
      return;
    }
    const pair: [Deno.TcpConn, Deno.TcpConn] = [inbound, outbound];
    this.#pairs.add(pair);
    const capture: Capture = { upstream: [], downstream: [] };
    if (this.#record) this.captures.push(capture);
    await Promise.all([
      this.#pump(inbound, outbound, capture.upstream),
      this.#pump(outbound, inbound, capture.downstream),
    ]);
    this.#pairs.delete(pair);
  }

  async #pump(from: Deno.TcpConn, to: Deno.TcpConn, record: Uint8Array[]): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    const started = Date.now();
    let forwarded = 0;
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        if (this.#bytesPerSecond) {
          // Hold the bytes until the line's rate allows them.
          forwarded += n;
          const wait = started + (forwarded / this.#bytesPerSecond) * 1000 - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        // Frozen: swallow the bytes, as a dead link would.
        if (this.#frozen) continue;
        if (this.#record) record.push(buffer.slice(0, n));
        let offset = 0;
        while (offset < n) offset += await to.write(buffer.subarray(offset, n));
      }
    } catch {
      // either side went away; close both below
    }
    close(from);
    // Across a silent network the close does not arrive: `to` stays open
    // until thaw() cuts what was held.
    if (!this.#frozen) close(to);
  }
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
