/**
 * Serving a Hono app inside one of our processes: bound to an address, with
 * one abort signal for its live streams (SSE never ends by itself, so
 * shutdown must end them before the server can close).
 */

import { formatHostPort, type HostPort } from "../protocol/mod.ts";
import type { Logger } from "../log/mod.ts";

/** What handles requests once the bound address is known. */
export type RequestHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** Options for {@linkcode AppServer.start}. */
export interface AppServerOptions {
  listen: HostPort;
  logger: Logger;
  /** Names the server in error logs, e.g. "dashboard". */
  name: string;
  /**
   * Builds the handler from the address actually bound (port 0 picks one,
   * and Host checks need it) and the signal that ends live streams.
   */
  handler: (address: Deno.NetAddr, streams: AbortSignal) => RequestHandler;
}

/** A running HTTP server; {@linkcode shutdown} ends live streams, then closes. */
export class AppServer implements AsyncDisposable {
  readonly address: Deno.NetAddr;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #streams: AbortController;
  #closing: Promise<void> | undefined;

  private constructor(server: Deno.HttpServer<Deno.NetAddr>, streams: AbortController) {
    this.#server = server;
    this.#streams = streams;
    this.address = server.addr;
  }

  /** Binds and serves. Throws `Deno.errors.AddrInUse` if the address is taken. */
  static start(options: AppServerOptions): AppServer {
    const streams = new AbortController();
    // Requests are handed to the handler built once the bound address is known.
    const serving: { handle?: RequestHandler } = {};
    const server = Deno.serve({
      hostname: options.listen.hostname,
      port: options.listen.port,
      onListen: () => {},
      onError: (error) => {
        options.logger.error(`${options.name} request failed`, { error: String(error) });
        return new Response("Internal error\n", { status: 500 });
      },
    }, (request, info) => serving.handle!(request, info));
    serving.handle = options.handler(server.addr, streams.signal);
    return new AppServer(server, streams);
  }

  /** `http://HOST:PORT` to open from this machine (a wildcard bind becomes 127.0.0.1). */
  get origin(): string {
    const host = this.address.hostname === "0.0.0.0" ? "127.0.0.1" : this.address.hostname;
    return `http://${formatHostPort({ hostname: host, port: this.address.port })}`;
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
