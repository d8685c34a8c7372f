/**
 * Finding a registry on the LAN without typing its address, with DNS-SD
 * over multicast DNS (`_p2pchat._tcp.local`): the registry runs a
 * {@linkcode DiscoveryResponder}, a peer asks with {@linkcode queryLan}.
 *
 * An answer is untrusted (anyone on the LAN can send one): it only says
 * where to try. Registration is signed and links are authenticated end to
 * end, so a fake registry can hide or misreport peers, never impersonate
 * one or read a chat (docs/SECURITY.md).
 *
 * Sockets are `node:dgram`: in Deno 2.9 `Deno.listenDatagram` (and its
 * `joinMulticastV4`) exists only under `--unstable-net`, which the shipped
 * tasks and executables do not pass. Groups are joined and queries sent per
 * interface address, never on `0.0.0.0`: a host without a multicast route
 * (no default route) otherwise fails with ENODEV.
 *
 * @module
 */

export {
  type AdvertisedRegistry,
  decodeAnswer,
  decodeQuery,
  encodeAnswer,
  encodeQuery,
  MDNS_GROUP,
  MDNS_PORT,
  type RegistryAdvert,
  SERVICE_TYPE,
  type ServiceQuery,
} from "./dns_sd.ts";
export { type LanInterface, lanInterfaces, onLink } from "./lan_interfaces.ts";
export {
  DiscoveryResponder,
  type DiscoveryResponderOptions,
  DiscoveryUnavailable,
} from "./responder.ts";
export { type FoundRegistry, type LanQueryOptions, queryLan } from "./lan_query.ts";
