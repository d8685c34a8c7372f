/**
 * The cryptography of a direct link, after the SIGMA "sign-and-MAC" design
 * (H. Krawczyk, CRYPTO 2003) as used by IKEv2 and by TLS 1.3's
 * CertificateVerify + Finished: ephemeral X25519 Diffie-Hellman for forward
 * secrecy; each side signs the transcript (both IDs, both ephemeral keys)
 * with its Ed25519 identity key and proves it derived the same keys with an
 * HMAC; HKDF-SHA-256 derives one AES-256-GCM key per direction. Only
 * standard primitives are used (WebCrypto's; small frames' AES-GCM through
 * `node:crypto`, see `frame_key.ts`); nothing here is invented.
 */

import { type FrameKey, importFrameKey } from "./frame_key.ts";
import { signedTranscript } from "./identity.ts";

/** Labels that keep every signature and key tied to its one purpose. */
const LABEL = "p2pchat/link/v2";

/** An ephemeral X25519 key pair, used for one handshake only. */
export interface EphemeralKey {
  publicKey: Uint8Array<ArrayBuffer>;
  privateKey: CryptoKey;
}

/** Makes a fresh ephemeral key pair. */
export async function newEphemeralKey(): Promise<EphemeralKey> {
  const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  return {
    publicKey: new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
    privateKey: pair.privateKey,
  };
}

/** What both sides agree on before anyone signs: who talks to whom, with which keys. */
export interface HandshakeTranscript {
  diallerId: string;
  listenerId: string;
  diallerEphemeral: Uint8Array;
  listenerEphemeral: Uint8Array;
}

/** The transcript bytes (identical on both sides). */
export function transcriptBytes(t: HandshakeTranscript): Uint8Array {
  return signedTranscript(
    LABEL,
    t.diallerId,
    t.listenerId,
    t.diallerEphemeral,
    t.listenerEphemeral,
  );
}

/**
 * What a side signs: the transcript under a label naming the signer's role,
 * so a listener's signature can never pass as a dialler's.
 */
export function signedPart(role: "listener" | "dialler", transcript: Uint8Array): Uint8Array {
  return signedTranscript(`${LABEL}/${role}`, transcript);
}

/** Keys of one established link, as seen from one side. */
export interface SessionKeys {
  /** Seals what this side sends. */
  send: FrameKey;
  /** Opens what this side receives. */
  receive: FrameKey;
  /** HMAC keys proving each side derived the same secret. */
  listenerFinished: CryptoKey;
  diallerFinished: CryptoKey;
}

/**
 * Derives the session keys from our ephemeral private key and the other
 * side's ephemeral public key, salted with the transcript hash.
 */
export async function deriveSessionKeys(
  role: "listener" | "dialler",
  own: EphemeralKey,
  otherEphemeral: Uint8Array,
  transcript: Uint8Array,
): Promise<SessionKeys> {
  const other = await crypto.subtle.importKey(
    "raw",
    otherEphemeral as Uint8Array<ArrayBuffer>,
    { name: "X25519" },
    false,
    [],
  );
  const shared = await crypto.subtle.deriveBits(
    { name: "X25519", public: other },
    own.privateKey,
    256,
  );
  // An all-zero result means a low-order public key: refuse it (RFC 7748 §6.1).
  if (new Uint8Array(shared).every((byte) => byte === 0)) {
    throw new RangeError("Ephemeral key agreement produced the all-zero secret");
  }
  const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveBits"]);
  const salt = await crypto.subtle.digest("SHA-256", transcript as Uint8Array<ArrayBuffer>);
  const material = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt, info: new TextEncoder().encode(`${LABEL}/keys`) },
      ikm,
      4 * 256,
    ),
  );
  const aes = importFrameKey;
  const hmac = (bytes: Uint8Array) =>
    crypto.subtle.importKey(
      "raw",
      bytes as Uint8Array<ArrayBuffer>,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
  const [diallerToListener, listenerToDialler, listenerFinished, diallerFinished] = await Promise
    .all([
      aes(material.subarray(0, 32)),
      aes(material.subarray(32, 64)),
      hmac(material.subarray(64, 96)),
      hmac(material.subarray(96, 128)),
    ]);
  material.fill(0);
  return role === "dialler"
    ? { send: diallerToListener, receive: listenerToDialler, listenerFinished, diallerFinished }
    : { send: listenerToDialler, receive: diallerToListener, listenerFinished, diallerFinished };
}

/** The finished MAC a side sends over the transcript. */
export async function finishedMac(key: CryptoKey, transcript: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.sign("HMAC", key, transcript as Uint8Array<ArrayBuffer>),
  );
}

/** Checks a finished MAC in constant time (WebCrypto's verify). */
export async function finishedMacMatches(
  key: CryptoKey,
  transcript: Uint8Array,
  mac: Uint8Array,
): Promise<boolean> {
  return await crypto.subtle.verify(
    "HMAC",
    key,
    mac as Uint8Array<ArrayBuffer>,
    transcript as Uint8Array<ArrayBuffer>,
  );
}
