/** Serving the dashboard app over HTTP inside the registry process. */

import { AppServer, hostChecker } from "../http/mod.ts";
import { type HostPort, isLoopback } from "../protocol/mod.ts";
import type { RegistryView } from "../registry/mod.ts";
import type { Logger } from "../log/mod.ts";
import { createDashboardApp } from "./dashboard_app.tsx";

/** Options for {@linkcode Dashboard.start}. */
export interface DashboardOptions {
  view: RegistryView;
  listen: HostPort;
  adminToken: string;
  /** A token that reads but cannot kick (`--read-token`). */
  readToken?: string;
  /** Most live streams at once (`--max-sse-clients`). */
  maxLiveStreams?: number;
  logger: Logger;
  liveTickMs?: number;
  /** Shortest time between two points of the network chart (tests make it short). */
  chartSampleMs?: number;
}

/** A running dashboard; {@linkcode shutdown} ends live streams and closes the server. */
export class Dashboard implements AsyncDisposable {
  readonly #server: AppServer;

  private constructor(server: AppServer) {
    this.#server = server;
  }

  /** Where it listens, as bound. */
  get address(): HostPort {
    return this.#server.address;
  }

  /** The URL operators open. */
  get url(): string {
    return `${this.#server.origin}/`;
  }

  /** Binds and serves. Throws `Deno.errors.AddrInUse` if the address is taken. */
  static start(options: DashboardOptions): Dashboard {
    return new Dashboard(AppServer.start({
      listen: options.listen,
      logger: options.logger,
      name: "dashboard",
      handler: (address, streams) =>
        createDashboardApp({
          view: options.view,
          adminToken: options.adminToken,
          readToken: options.readToken,
          // Loopback stays open to read, as it always was; anywhere else needs a token.
          readNeedsToken: !isLoopback(address.hostname),
          maxLiveStreams: options.maxLiveStreams,
          isAllowedHost: hostChecker(address.hostname, address.port),
          signal: streams,
          liveTickMs: options.liveTickMs,
          chartSampleMs: options.chartSampleMs,
        }).fetch,
    }));
  }

  /** Ends live streams and stops serving. Idempotent. */
  shutdown(): Promise<void> {
    return this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
