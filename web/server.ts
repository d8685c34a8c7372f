/** Serving a peer's web UI, beside its other interfaces, in the same process. */

import { formatHostPort, type HostPort } from "../protocol/mod.ts";
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
  readonly address: HostPort;
  /** The address to open, secret included. */
  readonly url: string;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #streams: AbortController;
  #closing: Promise<void> | undefined;

  private constructor(
    server: Deno.HttpServer<Deno.NetAddr>,
    streams: AbortController,
    secret: string,
  ) {
    this.#server = server;
    this.#streams = streams;
    this.address = server.addr;
    const host = this.address.hostname === "0.0.0.0" ? "127.0.0.1" : this.address.hostname;
    this.url = `http://${
      formatHostPort({ hostname: host, port: this.address.port })
    }/?key=${secret}`;
  }

  /** Binds and serves. Throws `Deno.errors.AddrInUse` if the address is taken. */
  static start(options: ChatWebOptions): ChatWeb {
    const listen = options.listen ?? { hostname: "127.0.0.1", port: 0 };
    const streams = new AbortController();
    // Requests are served by the app made once the port is known.
    const serving: { app?: ReturnType<typeof createChatApp> } = {};
    const server = Deno.serve({
      hostname: listen.hostname,
      port: listen.port,
      onListen: () => {},
      onError: (error) => {
        options.logger.error("web UI request failed", { error: String(error) });
        return new Response("Internal error\n", { status: 500 });
      },
    }, (request, info) => serving.app!.fetch(request, info));
    // The session needs the real port (port 0 picks one).
    const session = new WebSession(server.addr.hostname, server.addr.port);
    serving.app = createChatApp({ peer: options.peer, session, signal: streams.signal });
    return new ChatWeb(server, streams, session.secret);
  }

  /** Ends live streams and stops serving. Idempotent. */
  shutdown(): Promise<void> {
    this.#closing ??= (async () => {
      this.#streams.abort();
      await this.#server.shutdown();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
