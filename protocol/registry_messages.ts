/**
 * Messages between a peer and the registry, and their validators. The
 * sequence is described in docs/PROTOCOL.md; every message has `type`.
 */

import type { ErrorCode } from "./errors.ts";
import {
  RENDEZVOUS_TO_PEER,
  RENDEZVOUS_TO_REGISTRY,
  type RendezvousToPeer,
  type RendezvousToRegistry,
} from "./rendezvous_messages.ts";
import { PEER_ID_PATTERN } from "./identity.ts";
import { MAX_NAME_LENGTH } from "./names.ts";
import {
  array,
  base64Bytes,
  boolean,
  integer,
  messageUnion,
  object,
  oneOf,
  optional,
  type Parser,
  string,
} from "./schema.ts";

/** Why a peer left the list. `timeout`: it vanished without saying bye. */
export type LeaveReason = "bye" | "timeout" | "kicked";

/** A peer as every other peer sees it. */
export interface PeerInfo {
  id: string;
  name: string;
  /** Where it accepts direct links, `HOST:PORT`, as the registry observed it. */
  address: string;
}

/** A point in the peer list's history: its epoch and the last sequence number applied. */
export interface ListPosition {
  epoch: string;
  seq: number;
}

/** One entry of a `peers_delta`. */
export type PeerChange =
  | { op: "joined"; peer: PeerInfo }
  | { op: "updated"; peer: PeerInfo }
  | { op: "left"; id: string; reason: LeaveReason };

/** Sent by either side just before it closes a connection it refuses. */
export interface ErrorMessage {
  type: "error";
  code: ErrorCode;
  message: string;
}

// ---- peer → registry -------------------------------------------------------

export interface HelloMessage {
  type: "hello";
  protocol: number;
  client: string;
}

export interface RegisterMessage {
  type: "register";
  id: string;
  name: string;
  /** Raw Ed25519 public key, base64. */
  publicKey: string;
  /** The port the peer accepts direct links on. */
  listenPort: number;
  /** `HOST:PORT` to publish instead of the observed address (port forwards). */
  advertise?: string;
  /**
   * The registry this registration is for: the `HOST:PORT` (IP literal) the
   * peer's connection reached, signed, so that a registry relaying another
   * registry's challenge cannot register the peer there.
   */
  registry: string;
  /** The `epoch` of the challenge this answers, signed for the same reason. */
  epoch: string;
  /** How many times this peer re-registered since it started. */
  reconnects: number;
  client: string;
  /**
   * Where this peer's copy of the list stands. A registry that still holds
   * every change since then (a cluster instance, after the peer moved) sends
   * the missing deltas instead of a whole snapshot. Not signed: it only
   * changes what this peer itself is sent.
   */
  resume?: ListPosition;
  /** Signature over the registration transcript (see `registrationTranscript`). */
  signature: string;
}

export interface HeartbeatMessage {
  type: "heartbeat";
  seq: number;
}

export interface SnapshotRequestMessage {
  type: "snapshot_request";
  /**
   * The list the peer holds (the `epoch` and last applied `seq`): the
   * registry sends just the deltas it missed when it still has them.
   */
  epoch?: string;
  seq?: number;
}

export interface PeerByeMessage {
  type: "bye";
}

/** Everything a registry accepts. */
export type PeerToRegistry =
  | HelloMessage
  | RegisterMessage
  | HeartbeatMessage
  | SnapshotRequestMessage
  | PeerByeMessage
  | RendezvousToRegistry
  | ErrorMessage;

// ---- registry → peer -------------------------------------------------------

export interface ChallengeMessage {
  type: "challenge";
  protocol: number;
  /** Fresh random bytes, base64; the registration signature covers them. */
  nonce: string;
  epoch: string;
  registry: string;
}

export interface WelcomeMessage {
  type: "welcome";
  id: string;
  name: string;
  /** The address published for this peer. */
  address: string;
  epoch: string;
  heartbeatMs: number;
  evictAfter: number;
  /**
   * A cluster's live instances, `HOST:PORT` each (this one included), so a
   * peer given one address learns where else it can register.
   */
  instances?: string[];
}

export interface SnapshotMessage {
  type: "snapshot";
  epoch: string;
  seq: number;
  peers: PeerInfo[];
  /** More `snapshot` frames with the same `seq` follow. */
  more: boolean;
}

export interface PeersDeltaMessage {
  type: "peers_delta";
  epoch: string;
  /** The last sequence number this delta covers. */
  seq: number;
  /**
   * The first sequence number it covers, when it covers several (a cluster
   * instance merging changes made anywhere); absent means `seq` alone.
   */
  from?: number;
  changes: PeerChange[];
}

export interface HeartbeatAckMessage {
  type: "heartbeat_ack";
  seq: number;
}

export interface RegistryByeMessage {
  type: "bye";
  reason: "shutdown" | "kicked";
}

/** Everything a peer accepts from the registry. */
export type RegistryToPeer =
  | ChallengeMessage
  | WelcomeMessage
  | SnapshotMessage
  | PeersDeltaMessage
  | HeartbeatAckMessage
  | RegistryByeMessage
  | RendezvousToPeer
  | ErrorMessage;

// ---- validators --------------------------------------------------------------

/** Most peers one snapshot frame carries; larger lists span several frames. */
export const SNAPSHOT_CHUNK_PEERS = 2000;
/** Most changes one delta frame carries. */
export const DELTA_MAX_CHANGES = 5000;
/** Most instances a `welcome` lists. */
export const WELCOME_MAX_INSTANCES = 64;

const peerId = string({ pattern: PEER_ID_PATTERN, expected: "a 52-character peer ID" });
// Names are checked fully (Unicode classes) where they enter: by the registry.
const peerName = string({ min: 1, max: MAX_NAME_LENGTH * 4, expected: "a peer name" });
const address = string({ min: 3, max: 262, expected: "an address HOST:PORT" });
const epoch = string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/, expected: "an epoch" });
const seq = integer(0, Number.MAX_SAFE_INTEGER);
const clientName = string({ min: 1, max: 64 });
const errorCode = string({ min: 1, max: 64 }) as Parser<ErrorCode>;

const peerInfo: Parser<PeerInfo> = object({ id: peerId, name: peerName, address });

const errorMessage: Parser<ErrorMessage> = object({
  type: oneOf("error"),
  code: errorCode,
  message: string({ max: 1024 }),
});

const changeOp = object({ op: oneOf("joined", "updated", "left") });
const leftChange = object({
  op: oneOf("left"),
  id: peerId,
  reason: oneOf<LeaveReason>("bye", "timeout", "kicked"),
});
const peerUpdate = object({ op: oneOf("joined", "updated"), peer: peerInfo });

const peerChange: Parser<PeerChange> = function parsePeerChange(value, path) {
  return changeOp(value, path).op === "left" ? leftChange(value, path) : peerUpdate(value, path);
};

/** Validates anything a peer sends to the registry. */
export const parsePeerToRegistry: Parser<PeerToRegistry> = messageUnion<PeerToRegistry>({
  hello: object({ type: oneOf("hello"), protocol: integer(0, 65535), client: clientName }),
  register: object({
    type: oneOf("register"),
    id: peerId,
    name: peerName,
    publicKey: base64Bytes(32),
    listenPort: integer(1, 65535),
    advertise: optional(address),
    registry: address,
    epoch,
    reconnects: integer(0, Number.MAX_SAFE_INTEGER),
    client: clientName,
    signature: base64Bytes(64),
    resume: optional(object({ epoch, seq })),
  }),
  heartbeat: object({ type: oneOf("heartbeat"), seq }),
  snapshot_request: object({
    type: oneOf("snapshot_request"),
    epoch: optional(epoch),
    seq: optional(seq),
  }),
  bye: object({ type: oneOf("bye") }),
  ...RENDEZVOUS_TO_REGISTRY,
  error: errorMessage,
}, "peer-to-registry");

/** Validates anything the registry sends to a peer. */
export const parseRegistryToPeer: Parser<RegistryToPeer> = messageUnion<RegistryToPeer>({
  challenge: object({
    type: oneOf("challenge"),
    protocol: integer(0, 65535),
    nonce: base64Bytes(32),
    epoch,
    registry: clientName,
  }),
  welcome: object({
    type: oneOf("welcome"),
    id: peerId,
    name: peerName,
    address,
    epoch,
    heartbeatMs: integer(10, 3_600_000),
    evictAfter: integer(1, 1000),
    instances: optional(array(address, WELCOME_MAX_INSTANCES)),
  }),
  snapshot: object({
    type: oneOf("snapshot"),
    epoch,
    seq,
    peers: array(peerInfo, SNAPSHOT_CHUNK_PEERS),
    more: boolean(),
  }),
  peers_delta: object({
    type: oneOf("peers_delta"),
    epoch,
    seq,
    from: optional(seq),
    changes: array(peerChange, DELTA_MAX_CHANGES),
  }),
  heartbeat_ack: object({ type: oneOf("heartbeat_ack"), seq }),
  bye: object({ type: oneOf("bye"), reason: oneOf("shutdown", "kicked") }),
  ...RENDEZVOUS_TO_PEER,
  error: errorMessage,
}, "registry-to-peer");
