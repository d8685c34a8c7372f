/**
 * The start of every direct link: each side proves it holds the key behind
 * its peer ID by signing a transcript that includes the other side's fresh
 * nonce. The dialler also checks it reached the ID the registry published for
 * that address, so a wrong or forged address fails here, loudly.
 */

import {
  type LinkMessage,
  linkTranscript,
  type MessageChannel,
  peerIdFromPublicKey,
  PROTOCOL_VERSION,
  ProtocolError,
  shortId,
  verifySignature,
} from "../protocol/mod.ts";
import type { Identity } from "./identity.ts";

type LinkChannel = MessageChannel<LinkMessage, LinkMessage>;

function freshNonce(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64();
}

function failed(message: string): ProtocolError {
  return new ProtocolError("handshake_failed", message);
}

/** Receives the next handshake message, which must be of `type`. */
async function expect<T extends LinkMessage["type"]>(
  channel: LinkChannel,
  type: T,
  timeoutMs: number,
  from: string,
): Promise<Extract<LinkMessage, { type: T }>> {
  const message = await channel.receiveWithin(timeoutMs, `"${type}" from ${from}`);
  if (message === null) throw failed(`${from} closed the connection during the handshake`);
  if (message.type === "error") {
    throw failed(`${from} refused the link: ${message.message} (${message.code})`);
  }
  if (message.type !== type) {
    throw failed(
      `Unexpected "${message.type}" from ${from} during the handshake; expected "${type}"`,
    );
  }
  return message as Extract<LinkMessage, { type: T }>;
}

/** Checks a `link_auth`: the key matches the ID, and the signature verifies. */
async function verifyAuth(
  auth: Extract<LinkMessage, { type: "link_auth" }>,
  transcript: Uint8Array,
  from: string,
): Promise<void> {
  const publicKey = Uint8Array.fromBase64(auth.publicKey);
  if (await peerIdFromPublicKey(publicKey) !== auth.id) {
    throw failed(`${from} presented a key that does not belong to ID ${shortId(auth.id)}`);
  }
  const signature = Uint8Array.fromBase64(auth.signature);
  if (!await verifySignature(publicKey, signature, transcript)) {
    throw failed(`${from} failed to prove it holds the key of ${shortId(auth.id)}`);
  }
}

/**
 * Runs the dialler's side. Resolves when the listener proved it is
 * `expectedId`; throws {@linkcode ProtocolError} `handshake_failed` otherwise.
 */
export async function dialHandshake(
  channel: LinkChannel,
  identity: Identity,
  expectedId: string,
  timeoutMs: number,
): Promise<void> {
  const remote = `${
    shortId(expectedId)
  } at ${channel.stream.remoteAddr.hostname}:${channel.stream.remoteAddr.port}`;
  const diallerNonce = freshNonce();
  channel.send({
    type: "link_hello",
    protocol: PROTOCOL_VERSION,
    to: expectedId,
    nonce: diallerNonce,
  });
  const auth = await expect(channel, "link_auth", timeoutMs, `peer ${remote}`);
  if (auth.id !== expectedId) {
    throw failed(
      `The peer at ${remote} is ${shortId(auth.id)}, not ${
        shortId(expectedId)
      } as the registry said`,
    );
  }
  const listenerNonce = auth.nonce;
  await verifyAuth(
    auth,
    linkTranscript("listener", { diallerNonce, listenerNonce, listenerId: expectedId }),
    `peer ${remote}`,
  );
  const transcript = linkTranscript("dialler", {
    diallerNonce,
    listenerNonce,
    listenerId: expectedId,
    diallerId: identity.id,
  });
  channel.send({
    type: "link_auth",
    id: identity.id,
    publicKey: identity.publicKeyBase64,
    nonce: listenerNonce,
    signature: (await identity.sign(transcript)).toBase64(),
  });
}

/**
 * Runs the listener's side. Resolves with the dialler's proven peer ID;
 * throws {@linkcode ProtocolError} otherwise.
 */
export async function acceptHandshake(
  channel: LinkChannel,
  identity: Identity,
  timeoutMs: number,
): Promise<string> {
  const remote = `${channel.stream.remoteAddr.hostname}:${channel.stream.remoteAddr.port}`;
  const hello = await expect(channel, "link_hello", timeoutMs, `the dialler at ${remote}`);
  if (hello.protocol !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      "unsupported_version",
      `Link protocol version ${hello.protocol} is not supported; this peer speaks ${PROTOCOL_VERSION}`,
    );
  }
  if (hello.to !== identity.id) {
    throw failed(`This is peer ${shortId(identity.id)}, not ${shortId(hello.to)}`);
  }
  const listenerNonce = freshNonce();
  const signature = await identity.sign(
    linkTranscript("listener", {
      diallerNonce: hello.nonce,
      listenerNonce,
      listenerId: identity.id,
    }),
  );
  channel.send({
    type: "link_auth",
    id: identity.id,
    publicKey: identity.publicKeyBase64,
    nonce: listenerNonce,
    signature: signature.toBase64(),
  });
  const auth = await expect(channel, "link_auth", timeoutMs, `the dialler at ${remote}`);
  if (auth.nonce !== listenerNonce) {
    throw failed(`The dialler at ${remote} answered a different challenge`);
  }
  await verifyAuth(
    auth,
    linkTranscript("dialler", {
      diallerNonce: hello.nonce,
      listenerNonce,
      listenerId: identity.id,
      diallerId: auth.id,
    }),
    `the dialler at ${remote}`,
  );
  return auth.id;
}
