/**
 * Messages on the registry connection that help two peers reach each other
 * when a direct dial fails: hole punching (the registry tells both sides to
 * dial each other at the same moment) and relaying (the registry forwards a
 * link's sealed bytes). The link handshake and its sealed frames run inside
 * either path unchanged, so nothing here carries chat content in the clear.
 * Sequences and state machines: docs/PROTOCOL.md ("Links across NATs").
 */

import { PEER_ID_PATTERN } from "./identity.ts";
import { integer, messageUnion, object, oneOf, type Parser, string } from "./schema.ts";

// ---- peer → registry -------------------------------------------------------

/** "Tell `to` to dial me, and tell me where to dial it." One per try. */
export interface PunchRequestMessage {
  type: "punch_request";
  /** Random ID of this try, chosen by the requester. */
  punch: string;
  to: string;
}

/** How a try went, as the requester saw it (or a target that will not punch). */
export interface PunchResultMessage {
  type: "punch_result";
  punch: string;
  outcome: PunchOutcome;
}

/** What became of a punch try. */
export type PunchOutcome = "connected" | "failed" | "declined";

/** "Open a relay circuit to `to`." */
export interface RelayOpenMessage {
  type: "relay_open";
  /** Random ID of the circuit, chosen by the opener. */
  circuit: string;
  to: string;
}

/** The target takes the circuit offered in `relay_incoming`. */
export interface RelayAcceptMessage {
  type: "relay_accept";
  circuit: string;
}

// ---- registry → peer -------------------------------------------------------

/**
 * Sent to both sides of a try at the same moment: dial `peer` at `address`
 * (where the registry sees its registry connection, i.e. its NAT mapping)
 * after `delayMs`, less half your round trip to the registry.
 */
export interface PunchNowMessage {
  type: "punch_now";
  punch: string;
  peer: string;
  address: string;
  delayMs: number;
}

/** The registry could not arrange the try, or the target declined it. */
export interface PunchFailedMessage {
  type: "punch_failed";
  punch: string;
  reason: PunchFailure;
}

/** Why a try was not arranged. */
export type PunchFailure = "offline" | "declined" | "busy";

/** To the target: `from` wants a circuit; accept or close it. */
export interface RelayIncomingMessage {
  type: "relay_incoming";
  circuit: string;
  from: string;
  /** Bytes a side may send that the registry has not acknowledged yet. */
  window: number;
  /** The most bytes one `relay_data` may carry (before base64). */
  chunk: number;
}

/** To the opener: the target accepted; bytes may flow. */
export interface RelayReadyMessage {
  type: "relay_ready";
  circuit: string;
  window: number;
  chunk: number;
}

/**
 * To a sender: the registry passed on `bytes` more of its bytes (at the
 * circuit's rate, and only as fast as the receiver reads), so that many
 * more may be sent. This is the circuit's flow control: a sender keeps at
 * most `window` bytes unacknowledged.
 */
export interface RelayAckMessage {
  type: "relay_ack";
  circuit: string;
  bytes: number;
}

// ---- both directions -------------------------------------------------------

/**
 * Bytes of the link inside a circuit (base64): the same length-prefixed
 * frames, sealed end to end, a direct link would carry.
 */
export interface RelayDataMessage {
  type: "relay_data";
  circuit: string;
  data: string;
}

/** The circuit is over, and why. */
export interface RelayCloseMessage {
  type: "relay_close";
  circuit: string;
  reason: RelayCloseReason;
}

/** Why a circuit closed. */
export type RelayCloseReason =
  | "closed"
  | "refused"
  | "offline"
  | "disabled"
  | "full"
  | "idle"
  | "timeout"
  | "rate_limited"
  | "peer_left";

/** Rendezvous messages a peer sends. */
export type RendezvousToRegistry =
  | PunchRequestMessage
  | PunchResultMessage
  | RelayOpenMessage
  | RelayAcceptMessage
  | RelayDataMessage
  | RelayCloseMessage;

/** Rendezvous messages the registry sends. */
export type RendezvousToPeer =
  | PunchNowMessage
  | PunchFailedMessage
  | RelayIncomingMessage
  | RelayReadyMessage
  | RelayAckMessage
  | RelayDataMessage
  | RelayCloseMessage;

// ---- validators --------------------------------------------------------------

/**
 * Largest `relay_data` payload any registry allows, in bytes before base64.
 * A registry tells each circuit its own (`chunk`), which keeps a
 * `relay_data` frame inside its frame limit (see {@linkcode relayChunkBytes}).
 */
export const RELAY_CHUNK_BYTES = 16 * 1024;

/**
 * The largest chunk whose `relay_data` frame fits `maxFrameBytes`: base64
 * takes 4 bytes per 3, and the rest of the message (type, circuit ID of up to
 * 64 characters, quotes) fewer than 120.
 */
export function relayChunkBytes(maxFrameBytes: number): number {
  return Math.max(3, Math.min(RELAY_CHUNK_BYTES, Math.floor((maxFrameBytes - 120) / 4) * 3));
}

const peerId = string({ pattern: PEER_ID_PATTERN, expected: "a 52-character peer ID" });
const token = string({
  min: 16,
  max: 64,
  pattern: /^[A-Za-z0-9_-]+$/,
  expected: "an ID of 16–64 letters, digits, _ or -",
});
const address = string({ min: 3, max: 262, expected: "an address HOST:PORT" });
const window = integer(RELAY_CHUNK_BYTES, 64 * 1024 * 1024);
const chunk = integer(3, RELAY_CHUNK_BYTES);
const data = string({
  min: 4,
  max: Math.ceil(RELAY_CHUNK_BYTES / 3) * 4,
  pattern: /^[A-Za-z0-9+/]+={0,2}$/,
  expected: `base64 of 1–${RELAY_CHUNK_BYTES} bytes`,
});
const closeReason = oneOf<RelayCloseReason>(
  "closed",
  "refused",
  "offline",
  "disabled",
  "full",
  "idle",
  "timeout",
  "rate_limited",
  "peer_left",
);

const relayData: Parser<RelayDataMessage> = object({
  type: oneOf("relay_data"),
  circuit: token,
  data,
});
const relayClose: Parser<RelayCloseMessage> = object({
  type: oneOf("relay_close"),
  circuit: token,
  reason: closeReason,
});

/** Validators of {@linkcode RendezvousToRegistry}, by type (for `messageUnion`). */
export const RENDEZVOUS_TO_REGISTRY = {
  punch_request: object({ type: oneOf("punch_request"), punch: token, to: peerId }),
  punch_result: object({
    type: oneOf("punch_result"),
    punch: token,
    outcome: oneOf<PunchOutcome>("connected", "failed", "declined"),
  }),
  relay_open: object({ type: oneOf("relay_open"), circuit: token, to: peerId }),
  relay_accept: object({ type: oneOf("relay_accept"), circuit: token }),
  relay_data: relayData,
  relay_close: relayClose,
};

/** Validators of {@linkcode RendezvousToPeer}, by type (for `messageUnion`). */
export const RENDEZVOUS_TO_PEER = {
  punch_now: object({
    type: oneOf("punch_now"),
    punch: token,
    peer: peerId,
    address,
    delayMs: integer(0, 10_000),
  }),
  punch_failed: object({
    type: oneOf("punch_failed"),
    punch: token,
    reason: oneOf<PunchFailure>("offline", "declined", "busy"),
  }),
  relay_incoming: object({
    type: oneOf("relay_incoming"),
    circuit: token,
    from: peerId,
    window,
    chunk,
  }),
  relay_ready: object({ type: oneOf("relay_ready"), circuit: token, window, chunk }),
  relay_ack: object({
    type: oneOf("relay_ack"),
    circuit: token,
    bytes: integer(1, 64 * 1024 * 1024),
  }),
  relay_data: relayData,
  relay_close: relayClose,
};

/** Validates one rendezvous message from a peer on its own. */
export const parseRendezvousToRegistry: Parser<RendezvousToRegistry> = messageUnion<
  RendezvousToRegistry
>(RENDEZVOUS_TO_REGISTRY, "peer-to-registry rendezvous");

/** Validates one rendezvous message for a peer on its own. */
export const parseRendezvousToPeer: Parser<RendezvousToPeer> = messageUnion<RendezvousToPeer>(
  RENDEZVOUS_TO_PEER,
  "registry-to-peer rendezvous",
);

// ---- instance → instance (a cluster) ------------------------------------------

/**
 * What one registry instance of a cluster tells another about a punch try or
 * a relay circuit between a peer of each (docs/CLUSTER.md, "Links across
 * instances"). Tries and circuits live on the target's instance:
 *
 * - `from`: a peer registered at `instance` sent `message` (it was seen
 *   there from `observed`, its punch port's mapping);
 * - `to`: hand `message` to `peer`, registered at the receiving instance;
 * - `ended`: `peer`'s session at `instance` ended; its tries and circuits go.
 */
export type MeetingEnvelope =
  | {
    kind: "from";
    instance: string;
    peer: string;
    observed: string;
    message: RendezvousToRegistry;
  }
  | { kind: "to"; peer: string; message: RendezvousToPeer }
  | { kind: "ended"; instance: string; peer: string };

const instanceName = string({ min: 1, max: 262, expected: "an instance name" });

const ENVELOPES = {
  from: object({
    kind: oneOf("from"),
    instance: instanceName,
    peer: peerId,
    observed: address,
    message: parseRendezvousToRegistry,
  }),
  to: object({ kind: oneOf("to"), peer: peerId, message: parseRendezvousToPeer }),
  ended: object({ kind: oneOf("ended"), instance: instanceName, peer: peerId }),
};

/** Validates a {@linkcode MeetingEnvelope} (a decoded JSON value). */
export const parseMeetingEnvelope: Parser<MeetingEnvelope> = function parseMeetingEnvelope(
  value,
  path,
) {
  const kind = (value as { kind?: unknown } | null)?.kind;
  const parser = kind === "from" || kind === "to" ? ENVELOPES[kind] : ENVELOPES.ended;
  return parser(value, path) as MeetingEnvelope;
};

/** A fresh random ID for a punch try or a relay circuit (128 bits, base64url). */
export function newRendezvousId(): string {
  return crypto.getRandomValues(new Uint8Array(16)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}
