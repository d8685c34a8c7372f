/** Serving a peer's web UI, beside its other interfaces, in the same process. */

import { AppServer } from "../http/mod.ts";
import type { HostPort } from "../protocol/mod.ts";
import type { Peer } from "../peer/mod.ts";
import type { Logger } from "../log/mod.ts";
import { createChatApp } from "./chat_app.tsx";
import { WebAccess } from "./access.ts";

/** Options for {@linkcode ChatWeb.start}. */
export interface ChatWebOptions {
  peer: Peer;
  /** Default `127.0.0.1:0` (a free port on loopback). */
  listen?: HostPort;
  logger: Logger;
  /**
   * Called with a fresh address each time the last one was used (each opens
   * one window, once), so the user always has one that works.
   */
  onNewUrl?: (url: string) => void;
}

/** A running web UI. */
export class ChatWeb implements AsyncDisposable {
  readonly #server: AppServer;
  readonly #access: WebAccess;

  private constructor(server: AppServer, access: WebAccess) {
    this.#server = server;
    this.#access = access;
  }

  /** The address to open now: its launch secret opens one window, once. */
  get url(): string {
    return `${this.#server.origin}/?launch=${this.#access.launchSecret}`;
  }

  get address(): HostPort {
    return this.#server.address;
  }

  /** Binds and serves. Throws `Deno.errors.AddrInUse` if the address is taken. */
  static start(options: ChatWebOptions): ChatWeb {
    let access: WebAccess | undefined;
    const server = AppServer.start({
      listen: options.listen ?? { hostname: "127.0.0.1", port: 0 },
      logger: options.logger,
      name: "web UI",
      handler: (address, streams) => {
        // The Host and Origin checks need the real port (port 0 picks one).
        access = new WebAccess(address.hostname, address.port, {
          onLaunchSecret: () => web.#announce(),
        });
        return createChatApp({ peer: options.peer, access, signal: streams }).fetch;
      },
    });
    const web: ChatWeb = new ChatWeb(server, access!);
    web.#onNewUrl = options.onNewUrl;
    return web;
  }

  #onNewUrl: ((url: string) => void) | undefined;

  #announce(): void {
    this.#onNewUrl?.(this.url);
  }

  /** Ends live streams and stops serving. Idempotent. */
  shutdown(): Promise<void> {
    return this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
