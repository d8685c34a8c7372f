/**
 * The registry's side of LAN discovery: an mDNS responder for
 * `_p2pchat._tcp.local` on the interfaces the registry serves. It answers
 * one-shot queries by unicast (as peers send them) and port-5353 queries by
 * multicast (as `avahi-browse` sends them), only from its own links.
 */

import dgram from "node:dgram";
import { formatHostPort, type HostPort, isLoopback } from "../protocol/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import {
  decodeQuery,
  dnsLabel,
  encodeAnswer,
  hostLabel,
  MDNS_GROUP,
  MDNS_PORT,
  type RegistryAdvert,
} from "./dns_sd.ts";
import { type LanInterface, lanInterfaces, onLink } from "./lan_interfaces.ts";

/** Options for {@linkcode DiscoveryResponder.start}. */
export interface DiscoveryResponderOptions {
  /** The registry's peer address as bound (`0.0.0.0:7070`, `198.51.100.1:7070`). */
  listen: HostPort;
  protocol: number;
  logger?: Logger;
  /** Interfaces to consider (tests); default: this machine's IPv4 LAN interfaces. */
  interfaces?: LanInterface[];
}

/** Why the responder cannot run; the registry runs on without it. */
export class DiscoveryUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** A running responder. */
export class DiscoveryResponder implements AsyncDisposable {
  /** What it announces. */
  readonly advert: RegistryAdvert;
  /** Where it answers. */
  readonly interfaces: LanInterface[];
  /** Queries answered, and datagrams ignored (not ours, off-link, malformed). */
  readonly counts = { answered: 0, ignored: 0 };
  readonly #socket: dgram.Socket;
  readonly #logger: Logger;
  #sending: Promise<void> = Promise.resolve();
  #closed: Promise<void> | undefined;

  private constructor(
    socket: dgram.Socket,
    advert: RegistryAdvert,
    interfaces: LanInterface[],
    logger: Logger,
  ) {
    this.#socket = socket;
    this.advert = advert;
    this.interfaces = interfaces;
    this.#logger = logger;
    socket.on("message", (message, from) => this.#answer(message, from));
    socket.on(
      "error",
      (error) => logger.warn("LAN discovery socket error", { error: String(error) }),
    );
  }

  /**
   * Starts answering on the interfaces `listen` serves: all LAN interfaces
   * for `0.0.0.0`, the one holding the address otherwise. Throws
   * {@linkcode DiscoveryUnavailable} when there is none (a loopback-only
   * registry cannot be reached from the LAN) or port 5353 cannot be shared.
   */
  static async start(options: DiscoveryResponderOptions): Promise<DiscoveryResponder> {
    const { hostname, port } = options.listen;
    if (isLoopback(hostname)) {
      throw new DiscoveryUnavailable(
        `the registry listens on ${formatHostPort(options.listen)}, which the LAN cannot reach`,
      );
    }
    const all = options.interfaces ?? lanInterfaces();
    const wildcard = hostname === "0.0.0.0" || hostname === "::" || hostname === "";
    const interfaces = wildcard ? all : all.filter((i) => i.address === hostname);
    if (interfaces.length === 0) {
      throw new DiscoveryUnavailable(
        wildcard
          ? "this machine has no IPv4 LAN interface"
          : `no IPv4 LAN interface holds ${hostname}`,
      );
    }
    const machine = Deno.hostname();
    const advert: RegistryAdvert = {
      instance: dnsLabel(`p2pchat registry on ${machine}:${port}`),
      host: hostLabel(machine),
      port,
      addresses: interfaces.map((i) => i.address),
      protocol: options.protocol,
    };
    // Shared with other mDNS responders on this machine (Avahi, a second registry).
    const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind({ port: MDNS_PORT, address: "0.0.0.0" }, () => {
          socket.off("error", reject);
          resolve();
        });
      });
      for (const lan of interfaces) socket.addMembership(MDNS_GROUP, lan.address);
      socket.setMulticastTTL(255); // RFC 6762 §11: mDNS packets carry TTL 255
    } catch (error) {
      socket.close();
      throw new DiscoveryUnavailable(
        `cannot use UDP port ${MDNS_PORT}: ${(error as Error).message}`,
      );
    }
    return new DiscoveryResponder(socket, advert, interfaces, options.logger ?? silentLogger);
  }

  /** Stops answering. */
  close(): Promise<void> {
    this.#closed ??= this.#sending.then(() =>
      new Promise<void>((resolve) => this.#socket.close(() => resolve()))
    );
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #answer(message: Uint8Array, from: dgram.RemoteInfo): void {
    if (this.#closed) return;
    // Only the registry's own links: nobody elsewhere can use the answer, and
    // a forged source beyond them must not turn the registry into a reflector.
    const link = this.interfaces.find((lan) => onLink(from.address, lan));
    const query = link && decodeQuery(message, this.advert);
    if (!link || !query || !(query.wantsService || query.wantsTypes)) {
      this.counts.ignored++;
      return;
    }
    const unicast = from.port !== MDNS_PORT;
    // The address on the querier's link first: that is the one it can reach.
    const advert = {
      ...this.advert,
      addresses: [link.address, ...this.advert.addresses.filter((a) => a !== link.address)],
    };
    const answer = encodeAnswer(advert, query, { unicast });
    this.counts.answered++;
    // One send at a time: the multicast interface is socket state.
    this.#sending = this.#sending.then(() =>
      new Promise<void>((resolve) => {
        if (!unicast) this.#socket.setMulticastInterface(link.address);
        const [port, address] = unicast ? [from.port, from.address] : [MDNS_PORT, MDNS_GROUP];
        this.#socket.send(answer, port, address, (error) => {
          if (error) {
            this.#logger.debug("LAN discovery answer not sent", { error: String(error) });
          }
          resolve();
        });
      })
    );
  }
}
