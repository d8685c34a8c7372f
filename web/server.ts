/** Serving a peer's web UI, beside its other interfaces, in the same process. */

import { AppServer } from "../http/mod.ts";
import type { HostPort } from "../protocol/mod.ts";
import type { Peer } from "../peer/mod.ts";
import type { Logger } from "../log/mod.ts";
import { createChatApp } from "./app.tsx";
import { WebSession } from "./session.ts";

/** Options for {@linkcode ChatWeb.start}. */
export interface ChatWebOptions {
  peer: Peer;
  /** Default `127.0.0.1:0` (a free port on loopback). */
  listen?: HostPort;
  logger: Logger;
}

/** A running web UI. */
export class ChatWeb implements AsyncDisposable {
  /** The address to open, secret included. */
  readonly url: string;
  readonly #server: AppServer;

  private constructor(server: AppServer, secret: string) {
    this.#server = server;
    this.url = `${server.origin}/?key=${secret}`;
  }

  get address(): HostPort {
    return this.#server.address;
  }

  /** Binds and serves. Throws `Deno.errors.AddrInUse` if the address is taken. */
  static start(options: ChatWebOptions): ChatWeb {
    let secret = "";
    const server = AppServer.start({
      listen: options.listen ?? { hostname: "127.0.0.1", port: 0 },
      logger: options.logger,
      name: "web UI",
      handler: (address, streams) => {
        // The session needs the real port (port 0 picks one).
        const session = new WebSession(address.hostname, address.port);
        secret = session.secret;
        return createChatApp({ peer: options.peer, session, signal: streams }).fetch;
      },
    });
    return new ChatWeb(server, secret);
  }

  /** Ends live streams and stops serving. Idempotent. */
  shutdown(): Promise<void> {
    return this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
