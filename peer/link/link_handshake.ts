/**
 * Opening a direct link (protocol version 2): a three-message handshake in
 * the SIGMA sign-and-MAC shape (see protocol/link_crypto.ts). Both sides end
 * up with the other's identity proved and fresh AES-256-GCM keys; the dialler
 * also checks it reached the ID the registry published for that address, so
 * a wrong address or a man in the middle fails here, loudly.
 *
 * ```
 * dialler D                                      listener L
 *   link_hello {protocol:2, from:D, to:L, ephemeral:eD}  ──▶
 *   ◀── link_accept {id:L, publicKey, ephemeral:eL, signature, mac}
 *   link_confirm {publicKey, signature, mac}             ──▶
 *   ◀═══ sealed frames, both ways ═══▶
 * ```
 */

import {
  type ByteConnection,
  decodeMessage,
  DEFAULT_MAX_FRAME_BYTES,
  deriveSessionKeys,
  type EphemeralKey,
  finishedMac,
  finishedMacMatches,
  formatHostPort,
  FrameStream,
  LINK_PROTOCOL_VERSION,
  type LinkHandshakeMessage,
  type LinkMessage,
  MessageChannel,
  newEphemeralKey,
  parseLinkHandshake,
  parseLinkHelloVersion,
  parseLinkMessage,
  peerIdFromPublicKey,
  ProtocolError,
  readFrameWithin,
  SealedChannel,
  type SessionKeys,
  shortId,
  signedPart,
  transcriptBytes,
  verifySignature,
} from "../../protocol/mod.ts";
import type { Identity } from "../store/mod.ts";

type HandshakeChannel = MessageChannel<LinkHandshakeMessage, LinkHandshakeMessage>;

/** An authenticated, encrypted link. */
export type SealedLinkChannel = SealedChannel<LinkMessage>;

/**
 * Largest frame either side accepts before the handshake is over. Its
 * messages are a few hundred bytes; the megabyte a link carries later (a
 * file chunk) is for someone who has proved who they are, not for whoever
 * connects.
 */
export const LINK_HANDSHAKE_MAX_FRAME_BYTES = 4 * 1024;

/** Frames a fresh connection for a handshake: small frames until it is over. */
export function handshakeStream(conn: ByteConnection): FrameStream {
  return new FrameStream(conn, { maxFrameBytes: LINK_HANDSHAKE_MAX_FRAME_BYTES });
}

/** The link the handshake opened, with frames of any size a link carries. */
function sealedLink(stream: FrameStream, keys: SessionKeys): SealedLinkChannel {
  stream.raiseFrameLimit(DEFAULT_MAX_FRAME_BYTES);
  return new SealedChannel(stream, keys, parseLinkMessage);
}

function failed(message: string): ProtocolError {
  return new ProtocolError("handshake_failed", message);
}

/** Receives the next handshake message, which must be of `type`. */
async function expect<T extends LinkHandshakeMessage["type"]>(
  channel: HandshakeChannel,
  type: T,
  timeoutMs: number,
  from: string,
): Promise<Extract<LinkHandshakeMessage, { type: T }>> {
  const message = await channel.receiveWithin(timeoutMs, `"${type}" from ${from}`);
  // A connection that drops is no evidence against the other side (unlike a
  // proof that fails): it is a connection error, and worth another try.
  if (message === null) {
    throw new Deno.errors.ConnectionAborted(`${from} closed the connection during the handshake`);
  }
  if (message.type === "error") {
    throw failed(`${from} refused the link: ${message.message} (${message.code})`);
  }
  if (message.type !== type) {
    throw failed(
      `Unexpected "${message.type}" from ${from} during the handshake; expected "${type}"`,
    );
  }
  return message as Extract<LinkHandshakeMessage, { type: T }>;
}

/**
 * Checks one side's proof: its key hashes to `expectedId`, its signature
 * covers the transcript in its role, and its MAC shows it holds the same
 * session keys (so nobody in the middle could splice two handshakes).
 */
async function verifyProof(
  proof: { publicKey: string; signature: string; mac: string },
  expectedId: string,
  role: "listener" | "dialler",
  transcript: Uint8Array,
  finishedKey: CryptoKey,
  who: string,
): Promise<void> {
  const publicKey = Uint8Array.fromBase64(proof.publicKey);
  if (await peerIdFromPublicKey(publicKey) !== expectedId) {
    throw failed(`${who} presented a key that does not belong to ID ${shortId(expectedId)}`);
  }
  if (
    !await verifySignature(
      publicKey,
      Uint8Array.fromBase64(proof.signature),
      signedPart(role, transcript),
    )
  ) {
    throw failed(`${who} failed to prove it holds the key of ${shortId(expectedId)}`);
  }
  if (!await finishedMacMatches(finishedKey, transcript, Uint8Array.fromBase64(proof.mac))) {
    throw failed(`${who} derived different session keys (a man in the middle?)`);
  }
}

async function sessionKeys(
  role: "listener" | "dialler",
  own: EphemeralKey,
  otherEphemeral: Uint8Array,
  transcript: Uint8Array,
  who: string,
): Promise<SessionKeys> {
  try {
    return await deriveSessionKeys(role, own, otherEphemeral, transcript);
  } catch (error) {
    throw failed(`${who} sent an unusable ephemeral key: ${(error as Error).message}`);
  }
}

async function proofOf(
  identity: Identity,
  role: "listener" | "dialler",
  transcript: Uint8Array,
  keys: SessionKeys,
): Promise<{ publicKey: string; signature: string; mac: string }> {
  const finishedKey = role === "listener" ? keys.listenerFinished : keys.diallerFinished;
  return {
    publicKey: identity.publicKeyBase64,
    signature: (await identity.sign(signedPart(role, transcript))).toBase64(),
    mac: (await finishedMac(finishedKey, transcript)).toBase64(),
  };
}

/**
 * Runs the dialler's side on a fresh connection. Resolves with the sealed
 * channel once the listener proved it is `expectedId`; throws
 * {@linkcode ProtocolError} (`handshake_failed`, `timeout`, …) otherwise.
 */
export async function dialHandshake(
  stream: FrameStream,
  identity: Identity,
  expectedId: string,
  timeoutMs: number,
): Promise<SealedLinkChannel> {
  const remote = `peer ${shortId(expectedId)} at ${formatHostPort(stream.remoteAddr)}`;
  const channel: HandshakeChannel = new MessageChannel(stream, parseLinkHandshake);
  const ephemeral = await newEphemeralKey();
  channel.send({
    type: "link_hello",
    protocol: LINK_PROTOCOL_VERSION,
    from: identity.id,
    to: expectedId,
    ephemeral: ephemeral.publicKey.toBase64(),
  });
  const accept = await expect(channel, "link_accept", timeoutMs, remote);
  if (accept.id !== expectedId) {
    throw failed(
      `The peer at ${formatHostPort(stream.remoteAddr)} is ${shortId(accept.id)}, ` +
        `not ${shortId(expectedId)} as the registry said`,
    );
  }
  const listenerEphemeral = Uint8Array.fromBase64(accept.ephemeral);
  const transcript = transcriptBytes({
    diallerId: identity.id,
    listenerId: expectedId,
    diallerEphemeral: ephemeral.publicKey,
    listenerEphemeral,
  });
  const keys = await sessionKeys("dialler", ephemeral, listenerEphemeral, transcript, remote);
  await verifyProof(accept, expectedId, "listener", transcript, keys.listenerFinished, remote);
  channel.send({ type: "link_confirm", ...await proofOf(identity, "dialler", transcript, keys) });
  return sealedLink(stream, keys);
}

/** How long the listener waits for each step of a handshake. */
export interface AcceptTimeouts {
  /** For the dialler's confirm (and the hello, unless {@linkcode helloMs} is given). */
  stepMs: number;
  /**
   * For the hello, the first frame: a dialler sends it at once, so waiting
   * long only lets idle sockets hold a handshake slot.
   */
  helloMs?: number;
}

/**
 * Runs the listener's side. Resolves with the dialler's proven ID and the
 * sealed channel; throws {@linkcode ProtocolError} otherwise. A hello of any
 * other version (such as the plaintext version 1) is refused: no downgrade.
 */
export async function acceptHandshake(
  stream: FrameStream,
  identity: Identity,
  timeouts: AcceptTimeouts,
): Promise<{ peerId: string; channel: SealedLinkChannel }> {
  const timeoutMs = timeouts.stepMs;
  const remote = `the dialler at ${formatHostPort(stream.remoteAddr)}`;
  const first = await readFrameWithin(
    stream,
    timeouts.helloMs ?? timeoutMs,
    `"link_hello" from ${remote}`,
  );
  if (first === null) throw failed(`${remote} closed the connection before saying hello`);
  const version = decodeMessage(first, parseLinkHelloVersion).protocol;
  if (version !== LINK_PROTOCOL_VERSION) {
    throw new ProtocolError(
      "unsupported_version",
      `Link protocol version ${version} is refused: this peer requires version ` +
        `${LINK_PROTOCOL_VERSION} (encrypted)`,
    );
  }
  const hello = decodeMessage(first, parseLinkHandshake);
  if (hello.type !== "link_hello") throw failed(`Unexpected "${hello.type}" from ${remote}`);
  if (hello.to !== identity.id) {
    // Without naming ourselves: a scanner dialling wrong IDs learns nothing.
    throw failed(`This is not peer ${shortId(hello.to)}`);
  }
  const channel: HandshakeChannel = new MessageChannel(stream, parseLinkHandshake);
  const ephemeral = await newEphemeralKey();
  const diallerEphemeral = Uint8Array.fromBase64(hello.ephemeral);
  const transcript = transcriptBytes({
    diallerId: hello.from,
    listenerId: identity.id,
    diallerEphemeral,
    listenerEphemeral: ephemeral.publicKey,
  });
  const keys = await sessionKeys("listener", ephemeral, diallerEphemeral, transcript, remote);
  channel.send({
    type: "link_accept",
    id: identity.id,
    ephemeral: ephemeral.publicKey.toBase64(),
    ...await proofOf(identity, "listener", transcript, keys),
  });
  const confirm = await expect(channel, "link_confirm", timeoutMs, remote);
  await verifyProof(confirm, hello.from, "dialler", transcript, keys.diallerFinished, remote);
  return { peerId: hello.from, channel: sealedLink(stream, keys) };
}
