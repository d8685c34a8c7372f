/**
 * The peer role's engine: registers with the registry, keeps the list of who
 * is online, and chats with other peers over authenticated, encrypted links,
 * storing every message before it is sent or acknowledged. It keeps working
 * with the peers it knows while the registry is away, and re-registers by
 * itself. {@linkcode Peer} is the engine: its methods answer the caller or
 * throw a {@linkcode PeerError}; news comes as {@linkcode PeerEvent}s.
 *
 * Here: {@linkcode Peer}, the {@linkcode RegistryClient} that keeps it
 * registered (and finds a registry on the LAN), the {@linkcode PeerDirectory}
 * (its copy of the list), `runCommand` and the events. Its rooms, from the
 * bottom up: `store/` (what is kept on disk), `link/` (dialling, the
 * handshake, links), `delivery/` (nothing lost or doubled); each imports
 * only the rooms below it, and none imports this engine. The three ways to
 * drive a peer — `terminal/`, `json/` and `web/` — sit beside this folder and
 * use only this face.
 *
 * @module
 */

export { Peer, type PeerOptions } from "./peer.ts";
export { PeerError, type PeerErrorCode } from "./peer_error.ts";
export type { FileEvent, FileTransferInfo } from "./events.ts";
export { formatBytes } from "./delivery/mod.ts";
export type { RoomHistoryEntry, RoomSummary, RoomView } from "./rooms/mod.ts";
export type {
  HistoryEntry,
  KeyChange,
  OutboxEntry,
  PeerEvent,
  PeerEventListener,
} from "./events.ts";
export {
  CommandError,
  DEFAULT_HISTORY_LIMIT,
  MAX_HISTORY_LIMIT,
  type PeerCommand,
  runCommand,
} from "./commands.ts";
export {
  type DeltaOutcome,
  type DirectoryChange,
  type ListLimits,
  MAX_LIST_BYTES,
  MAX_LIST_PEERS,
  PeerDirectory,
} from "./peer_directory.ts";
export { type RegistryTiming, RejoinWindow, rejoinWindowMs } from "./rejoin_window.ts";
export {
  type ChangeSource,
  RegistryClient,
  type RegistryClientHandler,
  type RegistryClientOptions,
} from "./registry_client.ts";
export {
  backoffDelay,
  type BackoffOptions,
  DEFAULT_LINK_LIMITS,
  DEFAULT_LINK_PATHS,
  type LinkLimits,
  type LinkPath,
  type LinkPathChoice,
  parseLinkPaths,
} from "./link/mod.ts";
export { DEFAULT_SENDER_LIMITS, type SenderLimits } from "./delivery/mod.ts";
export {
  DataDirBusyError,
  DataDirError,
  defaultDataDir,
  Identity,
  IDENTITY_FILE,
  IdentityError,
  type KnownPeer,
  type MessageStatus,
  MessageStore,
  type StoredMessage,
  StoreError,
} from "./store/mod.ts";
