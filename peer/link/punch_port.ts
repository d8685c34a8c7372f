/**
 * The one local port this peer's registry connection and its hole punches
 * leave from. The registry observes the port's public mapping on the
 * registry connection and tells other peers to dial exactly that; the
 * connection's heartbeats keep the mapping alive. The port is not the listen
 * port: an outbound connect from a port a Deno listener holds fails with
 * EADDRINUSE.
 */

import type { HostPort } from "../../protocol/mod.ts";
import { connectSocket, type SocketConnection } from "./socket_connection.ts";

/** Outbound connections that share one local port. */
export class PunchPort {
  #port = 0;

  /** The local port, once the registry connection has chosen it (else 0). */
  get port(): number {
    return this.#port;
  }

  /**
   * Connects to the registry from the punch port (the same port as before
   * when it can, so the NAT mapping others know stays right), else from a
   * fresh one, which becomes the punch port.
   */
  async connectRegistry(registry: HostPort, ms: number): Promise<SocketConnection> {
    let conn: SocketConnection;
    try {
      conn = await connectSocket({ ...registry, localPort: this.#port }, ms);
    } catch (error) {
      if (
        this.#port === 0 ||
        !(error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable)
      ) throw error;
      // The old 4-tuple is still held (TIME_WAIT): take a new port.
      conn = await connectSocket(registry, ms);
    }
    this.#port = conn.localAddr.port;
    return conn;
  }

  /** Dials `target` from the punch port (one side of a simultaneous open). */
  async connectPeer(target: HostPort, ms: number): Promise<SocketConnection> {
    if (this.#port === 0) throw new Deno.errors.NotConnected("No punch port yet: not registered");
    return await connectSocket({ ...target, localPort: this.#port }, ms);
  }
}
