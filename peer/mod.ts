/**
 * The peer role: registers with the registry, keeps the list of who is
 * online, and chats with other peers over direct, authenticated and
 * encrypted links, storing every message before it is sent or acknowledged. It
 * keeps working with the peers it knows while the registry is away, and
 * re-registers by itself. {@linkcode Peer} is the engine; the terminal and
 * `--json` interfaces drive it with {@linkcode PeerCommand}s and render its
 * {@linkcode PeerEvent}s.
 *
 * @module
 */

export { Peer, type PeerOptions } from "./peer.ts";
export type { HistoryEntry, OutboxEntry, PeerEvent, PeerEventListener } from "./events.ts";
export { DataDirBusyError } from "./store/data_dir_lock.ts";
export { Identity, IdentityError } from "./store/identity_file.ts";
export { defaultDataDir } from "./store/data_dir.ts";
export { backoffDelay, type BackoffOptions } from "./link/backoff.ts";
export {
  CommandError,
  parseJsonCommand,
  parseTerminalLine,
  type PeerCommand,
  runCommand,
  TERMINAL_HELP,
  type TerminalInput,
} from "./commands.ts";
export { JsonInterface } from "../json/json_interface.ts";
export { TerminalInterface, type TerminalOptions } from "../terminal/terminal_interface.ts";
export { type DeltaOutcome, type DirectoryChange, PeerDirectory } from "./peer_directory.ts";
export {
  RegistryClient,
  type RegistryClientHandler,
  type RegistryClientOptions,
} from "./registry_client.ts";
export {
  type KnownPeer,
  type MessageStatus,
  MessageStore,
  type StoredMessage,
  StoreError,
} from "./store/message_store.ts";
