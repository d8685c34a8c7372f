/**
 * Simulated peers: registry clients that speak the real protocol (frames,
 * validated messages, a signed registration) and nothing else — no store, no
 * direct links, no reconnects. The registry and dashboard tests script them
 * step by step, including what a real peer never sends; the benchmarks run
 * thousands of them in workers as load, choosing with
 * {@linkcode RawPeerReading} how much of what the registry sends each one
 * reads. One client for both, so a benchmark measures the same protocol the
 * tests prove.
 *
 * It stands beside the roles, not inside `tests/`, because `bench/` uses it
 * too; it imports only `protocol/`, `async/` and `peer/` (for key pairs).
 *
 * @module
 */

export {
  keepAlive,
  RawPeer,
  type RawPeerOptions,
  type RawPeerReading,
  type RegisterOptions,
  RegistrationRefused,
} from "./raw_peer.ts";
export { PeerList, type PeerListOptions, type RegistryMessageOf } from "./peer_list.ts";
export { type FrameSkimHandler, skimFrames } from "./frame_skimmer.ts";
