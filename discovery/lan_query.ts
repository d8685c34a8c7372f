/**
 * The peer's side of LAN discovery: a one-shot mDNS query for
 * `_p2pchat._tcp.local` on every LAN interface (RFC 6762 §5.1: from an
 * ephemeral port, so answers come back by unicast), resent twice within the
 * wait in case a datagram is lost. The first usable answer wins.
 */

import dgram from "node:dgram";
import { waitAtMost } from "../async/mod.ts";
import { type HostPort, PROTOCOL_VERSION } from "../protocol/mod.ts";
import { decodeAnswer, encodeQuery, MDNS_GROUP, MDNS_PORT } from "./dns_sd.ts";
import { type LanInterface, lanInterfaces, onLink } from "./lan_interfaces.ts";

/** A registry that answered on the LAN. */
export interface FoundRegistry {
  /** Where to connect. */
  registry: HostPort;
  /** The name it announces (`p2pchat registry on HOST:PORT`). */
  instance: string;
  /** The interface the answer came in on. */
  via: string;
}

/** Options for {@linkcode queryLan}. */
export interface LanQueryOptions {
  /** How long to wait for an answer. Default 1000 ms. */
  timeoutMs?: number;
  /** Interfaces to ask on (tests); default: this machine's IPv4 LAN interfaces. */
  interfaces?: LanInterface[];
}

/**
 * Asks the LAN for a p2pchat registry. Resolves with the first registry
 * that answered and speaks this peer's protocol, or undefined when none did
 * within the wait (or there is no LAN interface to ask on).
 */
export async function queryLan(options: LanQueryOptions = {}): Promise<FoundRegistry | undefined> {
  const interfaces = options.interfaces ?? lanInterfaces();
  if (interfaces.length === 0) return undefined;
  const timeoutMs = options.timeoutMs ?? 1000;
  const id = crypto.getRandomValues(new Uint16Array(1))[0];
  const query = encodeQuery(id);
  const sockets: dgram.Socket[] = [];
  const resends: ReturnType<typeof setTimeout>[] = [];
  let found: FoundRegistry | undefined;
  let done = false;
  const answered = new Promise<void>((resolve) => {
    for (const lan of interfaces) {
      const socket = dgram.createSocket("udp4");
      sockets.push(socket);
      socket.on("error", () => {}); // an interface that cannot send is skipped
      socket.on("message", (message, from) => {
        found ??= readAnswer(message, from, lan, id);
        if (found) resolve();
      });
      socket.bind({ address: lan.address, port: 0 }, () => {
        if (done) return;
        socket.setMulticastInterface(lan.address);
        socket.setMulticastTTL(255);
        const send = () => socket.send(query, MDNS_PORT, MDNS_GROUP, () => {});
        send();
        resends.push(setTimeout(send, timeoutMs / 3), setTimeout(send, (2 * timeoutMs) / 3));
      });
    }
  });
  try {
    await waitAtMost(answered, timeoutMs);
    return found;
  } finally {
    done = true;
    for (const timer of resends) clearTimeout(timer);
    await Promise.all(sockets.map((socket) =>
      new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // never bound
        }
      })
    ));
  }
}

/** A registry from one answer, if the answer is to our query, on-link and usable. */
function readAnswer(
  message: Uint8Array,
  from: dgram.RemoteInfo,
  lan: LanInterface,
  id: number,
): FoundRegistry | undefined {
  if (!onLink(from.address, lan) || message.byteLength < 12) return undefined;
  // Legacy-unicast answers echo the query's ID (RFC 6762 §6.7).
  if (((message[0] << 8) | message[1]) !== id) return undefined;
  for (const advert of decodeAnswer(message)) {
    if (advert.protocol !== undefined && advert.protocol !== PROTOCOL_VERSION) continue;
    // The answer's source is on our link; prefer it when the registry lists it.
    const hostname = advert.addresses.includes(from.address)
      ? from.address
      : advert.addresses.find((a) => onLink(a, lan)) ?? from.address;
    return { registry: { hostname, port: advert.port }, instance: advert.instance, via: lan.name };
  }
  return undefined;
}
