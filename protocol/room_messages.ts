/**
 * Rooms on the wire: a room's membership is a list with a version, signed by
 * the room's creator ({@linkcode RoomMembership}); it travels whole inside
 * every room `chat` and in `room_state`, is acknowledged with `room_ack`, and
 * a member asks the creator to remove it with `room_leave`. Anyone can pass a
 * membership on; nobody but the creator can make one that verifies, because
 * the room ID is a hash of the creator's ID and the signature is checked
 * against the key that hashes to that ID. docs/PROTOCOL.md ("Rooms") says the
 * same for people.
 */

import {
  base32,
  PEER_ID_PATTERN,
  peerIdFromPublicKey,
  signedTranscript,
  verifySignature,
} from "./identity.ts";
import { MAX_NAME_LENGTH, nameProblem } from "./names.ts";
import { array, base64Bytes, integer, object, oneOf, type Parser, string } from "./schema.ts";
import { ProtocolError } from "./errors.ts";

/** Most members a room may have (its membership rides in every room message). */
export const MAX_ROOM_MEMBERS = 64;

/** Matches a room ID: 26 characters of base32 (130 bits of a SHA-256). */
export const ROOM_ID_PATTERN = /^[a-z2-7]{26}$/;

/** One member as the membership lists it. */
export interface RoomMember {
  id: string;
  name: string;
}

/** A room's membership at one version, signed by its creator. */
export interface RoomMembership {
  /** Derived from `creator` and `nonce` (see {@linkcode roomIdFor}). */
  id: string;
  name: string;
  /** The creator's peer ID: the fingerprint of `creatorKey`. */
  creator: string;
  /** The creator's Ed25519 public key, raw, base64. */
  creatorKey: string;
  /** Chosen by the creator once, so one creator can make many rooms. */
  nonce: string;
  /** 1 at creation, one more with each change. */
  version: number;
  members: RoomMember[];
  /** The creator's Ed25519 signature over {@linkcode membershipTranscript}, base64. */
  signature: string;
}

/** Who signs a membership: a peer's key pair (`Identity` in `peer/` is one). */
export interface MembershipSigner {
  readonly id: string;
  readonly publicKeyBase64: string;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** Creator → member (or anyone → anyone): the room's membership as it stands. */
export interface RoomStateMessage {
  type: "room_state";
  room: RoomMembership;
}

/** Member → creator: that version arrived and is stored. */
export interface RoomAckMessage {
  type: "room_ack";
  room: string;
  version: number;
}

/** Member → creator: take me out. The link proves who asks. */
export interface RoomLeaveMessage {
  type: "room_leave";
  room: string;
}

/** The ID of the room `creator` made with `nonce`. */
export async function roomIdFor(creator: string, nonce: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest(
      "SHA-256",
      signedTranscript("p2pchat/room-id/v1", creator, nonce) as Uint8Array<ArrayBuffer>,
    ),
  );
  return base32(digest).slice(0, 26);
}

/** The bytes a membership signature covers: every field but the signature. */
export function membershipTranscript(room: Omit<RoomMembership, "signature">): Uint8Array {
  return signedTranscript(
    "p2pchat/room/v1",
    room.id,
    room.name,
    room.creator,
    room.nonce,
    String(room.version),
    ...room.members.flatMap((m) => [m.id, m.name]),
  );
}

/** Signs a membership as `signer`, who must be its creator. */
export async function signMembership(
  signer: MembershipSigner,
  room: Omit<RoomMembership, "signature" | "creator" | "creatorKey">,
): Promise<RoomMembership> {
  const unsigned = { ...room, creator: signer.id, creatorKey: signer.publicKeyBase64 };
  const signature = await signer.sign(membershipTranscript(unsigned));
  return { ...unsigned, signature: signature.toBase64() };
}

/**
 * Why `room` does not verify, or `null` when it does: its ID must be the
 * creator's, the key must hash to the creator's ID, and the signature must
 * be that key's over every field.
 */
export async function membershipProblem(room: RoomMembership): Promise<string | null> {
  const key = Uint8Array.fromBase64(room.creatorKey);
  if (await peerIdFromPublicKey(key) !== room.creator) {
    return "its creator key does not belong to its creator";
  }
  if (await roomIdFor(room.creator, room.nonce) !== room.id) {
    return "its ID is not its creator's";
  }
  const signature = Uint8Array.fromBase64(room.signature);
  if (!await verifySignature(key, signature, membershipTranscript(room))) {
    return "it is not signed by the room's creator";
  }
  const ids = new Set(room.members.map((m) => m.id));
  if (ids.size !== room.members.length) return "it lists a member twice";
  return null;
}

const peerId = string({ pattern: PEER_ID_PATTERN, expected: "a 52-character peer ID" });
const roomId = string({ pattern: ROOM_ID_PATTERN, expected: "a 26-character room ID" });
const version = integer(1, 2 ** 31);

/** A name as peers and rooms have them ({@linkcode nameProblem}). */
function roomName(value: unknown, path: string): string {
  const name = string({ min: 1, max: MAX_NAME_LENGTH * 4 })(value, path);
  const problem = nameProblem(name);
  if (problem) throw new ProtocolError("invalid_message", `Field "${path}": ${problem}`);
  return name;
}

/** Validates a membership's shape (not its signature: see {@linkcode membershipProblem}). */
export const parseMembership: Parser<RoomMembership> = object({
  id: roomId,
  name: roomName,
  creator: peerId,
  creatorKey: base64Bytes(32),
  nonce: string({ min: 1, max: 64 }),
  version,
  members: array(object({ id: peerId, name: roomName }), MAX_ROOM_MEMBERS),
  signature: base64Bytes(64),
});

/** The parsers of the room link messages, for the link message union. */
export const roomMessageParsers = {
  room_state: object({ type: oneOf("room_state"), room: parseMembership }),
  room_ack: object({ type: oneOf("room_ack"), room: roomId, version }),
  room_leave: object({ type: oneOf("room_leave"), room: roomId }),
};
