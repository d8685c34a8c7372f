/**
 * The DNS-SD records a registry announces over multicast DNS, and the query
 * a peer sends to find them (RFC 6762, RFC 6763). Encoding and decoding of
 * DNS messages is `dns-packet`'s; this file knows which records p2pchat uses:
 *
 * ```
 * _p2pchat._tcp.local         PTR  <instance>._p2pchat._tcp.local
 * <instance>._p2pchat._tcp.local  SRV  0 0 <port> <host>.local
 * <instance>._p2pchat._tcp.local  TXT  "protocol=<N>"
 * <host>.local                A    <address>   (one per address served)
 * ```
 */

// @ts-types="npm:@types/dns-packet@5.6.5"
import dnsPacket from "dns-packet";
import { Buffer } from "node:buffer";

/** The DNS-SD service type of a p2pchat registry. */
export const SERVICE_TYPE = "_p2pchat._tcp.local";
/** The DNS-SD name that lists service types (`avahi-browse -a` asks it). */
const SERVICE_TYPES_NAME = "_services._dns-sd._udp.local";
/** The mDNS IPv4 group and port. */
export const MDNS_GROUP = "224.0.0.251";
export const MDNS_PORT = 5353;

/** What a registry announces about itself. */
export interface RegistryAdvert {
  /** Instance label, shown to people: `p2pchat registry on HOST:PORT`. */
  instance: string;
  /** Host label, without `.local`. */
  host: string;
  /** TCP port peers connect to. */
  port: number;
  /** IPv4 addresses it can be reached at. */
  addresses: string[];
  protocol: number;
}

/** A registry as read from an answer. */
export interface AdvertisedRegistry {
  instance: string;
  port: number;
  addresses: string[];
  /** From TXT `protocol=N`, if present. */
  protocol?: number;
}

/** A question this peer-facing service answers, as read from a query. */
export interface ServiceQuery {
  id: number;
  questions: dnsPacket.Question[];
  /** Asks for the p2pchat service (PTR or ANY on the service type, or on the instance). */
  wantsService: boolean;
  /** Asks which service types exist. */
  wantsTypes: boolean;
}

/** A one-shot query for p2pchat registries, with `id` (echoed by legacy-unicast answers). */
export function encodeQuery(id: number): Uint8Array {
  return dnsPacket.encode({
    type: "query",
    id,
    flags: 0,
    questions: [{ type: "PTR", name: SERVICE_TYPE, class: "IN" }],
  });
}

/**
 * Reads a datagram as a query. Returns undefined for anything that is not
 * a well-formed query (answers, garbage, truncated packets).
 */
export function decodeQuery(bytes: Uint8Array, advert: RegistryAdvert): ServiceQuery | undefined {
  const packet = decodeOrUndefined(bytes);
  if (!packet || packet.type !== "query" || !packet.questions) return undefined;
  const instanceName = `${advert.instance}.${SERVICE_TYPE}`.toLowerCase();
  const questions = packet.questions.filter((q) => typeof q.name === "string");
  const asks = (name: string, types: string[]) =>
    questions.some((q) => q.name.toLowerCase() === name && types.includes(q.type));
  return {
    id: packet.id ?? 0,
    questions,
    wantsService: asks(SERVICE_TYPE, ["PTR", "ANY"]) ||
      asks(instanceName, ["SRV", "TXT", "ANY"]),
    wantsTypes: asks(SERVICE_TYPES_NAME, ["PTR", "ANY"]),
  };
}

/**
 * The answer to `query`. A legacy-unicast answer (to a query from a port
 * other than 5353) echoes the ID and questions and keeps TTLs at 10 s, as
 * RFC 6762 §6.7 asks; a multicast one has ID 0 and no questions.
 */
export function encodeAnswer(
  advert: RegistryAdvert,
  query: ServiceQuery,
  options: { unicast: boolean },
): Uint8Array {
  const ttl = options.unicast ? 10 : 120;
  const instanceName = `${advert.instance}.${SERVICE_TYPE}`;
  const target = `${advert.host}.local`;
  const answers: dnsPacket.Answer[] = [];
  if (query.wantsTypes) {
    answers.push({ type: "PTR", name: SERVICE_TYPES_NAME, ttl, data: SERVICE_TYPE });
  }
  if (query.wantsService) {
    answers.push({ type: "PTR", name: SERVICE_TYPE, ttl, data: instanceName });
  }
  const additionals: dnsPacket.Answer[] = query.wantsService
    ? [
      { type: "SRV", name: instanceName, ttl, data: { port: advert.port, target } },
      { type: "TXT", name: instanceName, ttl, data: [`protocol=${advert.protocol}`] },
      ...advert.addresses.map((address): dnsPacket.Answer => ({
        type: "A",
        name: target,
        ttl,
        data: address,
      })),
    ]
    : [];
  return dnsPacket.encode({
    type: "response",
    id: options.unicast ? query.id : 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: options.unicast ? query.questions : [],
    answers,
    additionals,
  });
}

/**
 * Reads the registries an answer announces (records may come in answers or
 * additionals). Returns [] for anything else; never throws on bad bytes.
 */
export function decodeAnswer(bytes: Uint8Array): AdvertisedRegistry[] {
  const packet = decodeOrUndefined(bytes);
  if (!packet || packet.type !== "response") return [];
  const records = [...packet.answers ?? [], ...packet.additionals ?? []];
  const found: AdvertisedRegistry[] = [];
  for (const ptr of records) {
    if (ptr.type !== "PTR" || ptr.name.toLowerCase() !== SERVICE_TYPE) continue;
    const instanceName = String(ptr.data);
    const srv = records.find((r): r is dnsPacket.SrvAnswer =>
      r.type === "SRV" && r.name.toLowerCase() === instanceName.toLowerCase()
    );
    if (!srv || !Number.isInteger(srv.data.port) || srv.data.port < 1) continue;
    const target = srv.data.target.toLowerCase();
    const addresses = records
      .filter((r): r is dnsPacket.StringAnswer => r.type === "A" && r.name.toLowerCase() === target)
      .map((r) => r.data);
    const txt = records.find((r): r is dnsPacket.TxtAnswer =>
      r.type === "TXT" && r.name.toLowerCase() === instanceName.toLowerCase()
    );
    found.push({
      instance: instanceName.slice(0, -(SERVICE_TYPE.length + 1)),
      port: srv.data.port,
      addresses,
      protocol: txt ? protocolOf(txt.data) : undefined,
    });
  }
  return found;
}

/** A DNS label: at most 63 bytes of UTF-8, cut on a character boundary. */
export function dnsLabel(text: string): string {
  let label = text.replaceAll(".", "-");
  while (new TextEncoder().encode(label).length > 63) label = [...label].slice(0, -1).join("");
  return label;
}

/** A host label: letters, digits and hyphens only (RFC 952), at most 63. */
export function hostLabel(hostname: string): string {
  const label = hostname.split(".")[0].toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63);
  return label.replace(/^-+|-+$/g, "") || "p2pchat-registry";
}

function protocolOf(data: dnsPacket.TxtData): number | undefined {
  const strings = (Array.isArray(data) ? data : [data]).map((d) =>
    typeof d === "string" ? d : new TextDecoder().decode(d)
  );
  const value = strings.map((s) => /^protocol=(\d{1,6})$/.exec(s)?.[1]).find(Boolean);
  return value === undefined ? undefined : Number(value);
}

function decodeOrUndefined(bytes: Uint8Array): dnsPacket.Packet | undefined {
  try {
    return dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return undefined; // anyone on the LAN can send anything; not ours to report
  }
}
