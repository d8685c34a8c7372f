/**
 * Outbound TCP connections from a chosen local port. `Deno.connect` cannot
 * choose its local port; `node:net` can, and a hole punch needs exactly
 * that: the registry connection and every punch leave from the same port,
 * so the NAT mapping the registry observes is the one the other peer dials.
 * (`node:net` sets SO_REUSEADDR, so several outbound sockets may share the
 * port; a port a Deno listener holds cannot be shared, hence a punch port of
 * its own.) The socket is adapted to the {@linkcode ByteConnection} the frame
 * codec reads, with its errors turned into the `Deno.errors` the rest of
 * p2pchat expects.
 */

import net from "node:net";
import { Duplex } from "node:stream";
import { DeadlineError } from "../../async/mod.ts";
import type { ByteConnection, HostPort } from "../../protocol/mod.ts";

/** Where to connect, and optionally from which local port. */
export interface SocketTarget extends HostPort {
  /** Local port to connect from; 0 or absent lets the system choose. */
  localPort?: number;
}

/**
 * Connects to `target` (from `target.localPort` when given), with Nagle off.
 * Fails with a {@linkcode DeadlineError} after `ms` (the half-open socket is
 * destroyed, not left retrying SYNs), or with the `Deno.errors` class of what
 * went wrong (`ConnectionRefused`, `AddrInUse`, …).
 */
export function connectSocket(target: SocketTarget, ms: number): Promise<SocketConnection> {
  const { promise, resolve, reject } = Promise.withResolvers<SocketConnection>();
  // Binding explicitly (a local address, even with port 0) is what makes
  // node:net set SO_REUSEADDR, which a later socket sharing the port needs
  // on both. A host name is looked up as IPv4, like the wildcard it binds.
  const ipv6 = net.isIPv6(target.hostname);
  const socket = net.connect({
    host: target.hostname,
    port: target.port,
    localAddress: ipv6 ? "::" : "0.0.0.0",
    ...(ipv6 ? {} : { family: 4 }),
    ...(target.localPort ? { localPort: target.localPort } : {}),
  });
  const timer = setTimeout(() => {
    socket.destroy();
    reject(new DeadlineError(`connection to ${target.hostname}:${target.port}`, ms));
  }, ms);
  socket.once("connect", () => {
    clearTimeout(timer);
    socket.removeAllListeners("error");
    socket.setNoDelay(true);
    resolve(new SocketConnection(socket));
  });
  socket.once("error", (error: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    socket.destroy();
    reject(asDenoError(error));
  });
  return promise;
}

/** A connected `node:net` socket, read and written like a `Deno.Conn`. */
export class SocketConnection implements ByteConnection {
  readonly remoteAddr: Deno.NetAddr;
  readonly localAddr: Deno.NetAddr;
  readonly #socket: net.Socket;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  /** The rest of a chunk a smaller read buffer could not take. */
  #leftover: Uint8Array | undefined;
  #closed = false;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort);
    this.localAddr = netAddr(socket.localAddress, socket.localPort);
    const { readable, writable } = Duplex.toWeb(socket);
    this.#reader = (readable as ReadableStream<Uint8Array>).getReader();
    this.#writer = (writable as WritableStream<Uint8Array>).getWriter();
    // Failures surface through read and write; an unheard "error" event must
    // not crash the process.
    socket.on("error", () => {});
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    let chunk = this.#leftover;
    this.#leftover = undefined;
    if (!chunk) {
      if (this.#closed) return null;
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await this.#reader.read();
      } catch (error) {
        if (this.#closed) return null;
        throw asDenoError(error as NodeJS.ErrnoException);
      }
      if (next.done) return null;
      chunk = next.value;
    }
    const count = Math.min(chunk.length, buffer.length);
    buffer.set(chunk.subarray(0, count));
    if (count < chunk.length) this.#leftover = chunk.subarray(count);
    return count;
  }

  async write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) throw new Deno.errors.BadResource("The connection is closed");
    try {
      await this.#writer.write(bytes);
    } catch (error) {
      throw asDenoError(error as NodeJS.ErrnoException);
    }
    return bytes.length;
  }

  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("The connection is already closed");
    this.#closed = true;
    this.#reader.cancel().catch(() => {});
    this.#writer.abort().catch(() => {});
    this.#socket.destroy();
  }
}

function netAddr(hostname: string | undefined, port: number | undefined): Deno.NetAddr {
  return { transport: "tcp", hostname: hostname ?? "0.0.0.0", port: port ?? 0 };
}

/** The `Deno.errors` class for a `node:net` error code, so callers catch one kind. */
function asDenoError(error: NodeJS.ErrnoException): Error {
  const message = error.message;
  switch (error.code) {
    case "ECONNREFUSED":
      return new Deno.errors.ConnectionRefused(message);
    case "ECONNRESET":
      return new Deno.errors.ConnectionReset(message);
    case "ECONNABORTED":
      return new Deno.errors.ConnectionAborted(message);
    case "EPIPE":
    case "ERR_STREAM_DESTROYED":
    case "ERR_STREAM_WRITE_AFTER_END":
      return new Deno.errors.BrokenPipe(message);
    case "EADDRINUSE":
      return new Deno.errors.AddrInUse(message);
    case "EADDRNOTAVAIL":
      return new Deno.errors.AddrNotAvailable(message);
    case "ETIMEDOUT":
      return new Deno.errors.TimedOut(message);
    case "ENETUNREACH":
    case "EHOSTUNREACH":
      return new Deno.errors.NetworkUnreachable(message);
    case "ENOTCONN":
      return new Deno.errors.NotConnected(message);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new Deno.errors.NotFound(message);
    default:
      // Any other failure of the system (EMFILE when out of descriptors,
      // ENOBUFS, …) is worded as Deno words its own — "(os error N)" — so
      // that a caller that retries those retries these too, rather than
      // taking an unknown error for a bug.
      if (typeof error.errno === "number" && error.syscall) {
        return new Error(`${message} (os error ${Math.abs(error.errno)})`, { cause: error });
      }
      return error;
  }
}
