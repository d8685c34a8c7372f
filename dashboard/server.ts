/** Serving the dashboard app over HTTP inside the registry process. */

import { formatHostPort, type HostPort } from "../protocol/mod.ts";
import type { RegistryView } from "../registry/mod.ts";
import type { Logger } from "../log/mod.ts";
import { createDashboardApp } from "./app.tsx";
import { hostChecker } from "./security.ts";

/** Options for {@linkcode Dashboard.start}. */
export interface DashboardOptions {
  view: RegistryView;
  listen: HostPort;
  adminToken: string;
  logger: Logger;
  liveTickMs?: number;
}

/** A running dashboard; {@linkcode shutdown} ends live streams and closes the server. */
export class Dashboard implements AsyncDisposable {
  /** Where it listens, as bound. */
  readonly address: HostPort;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #streams: AbortController;
  #closing: Promise<void> | undefined;

  private constructor(server: Deno.HttpServer<Deno.NetAddr>, streams: AbortController) {
    this.#server = server;
    this.#streams = streams;
    this.address = server.addr;
  }

  /** The URL operators open. */
  get url(): string {
    const host = this.address.hostname === "0.0.0.0" ? "127.0.0.1" : this.address.hostname;
    return `http://${formatHostPort({ hostname: host, port: this.address.port })}/`;
  }

  /** Binds and serves. Throws `Deno.errors.AddrInUse` if the address is taken. */
  static start(options: DashboardOptions): Dashboard {
    const streams = new AbortController();
    let isAllowedHost: (host: string | undefined) => boolean = () => false;
    const app = createDashboardApp({
      view: options.view,
      adminToken: options.adminToken,
      isAllowedHost: (host) => isAllowedHost(host),
      signal: streams.signal,
      liveTickMs: options.liveTickMs,
    });
    const server = Deno.serve({
      hostname: options.listen.hostname,
      port: options.listen.port,
      onListen: () => {},
      onError: (error) => {
        options.logger.error("dashboard request failed", { error: String(error) });
        return new Response("Internal error\n", { status: 500 });
      },
    }, app.fetch);
    // The port is known only once bound (port 0 picks one).
    isAllowedHost = hostChecker(server.addr.hostname, server.addr.port);
    return new Dashboard(server, streams);
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
