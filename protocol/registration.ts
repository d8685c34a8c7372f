/**
 * A signed `register` message, built in one place for the registry client,
 * the simulated peers of tests and benchmarks, and the fuzzer.
 */

import { signedTranscript } from "./identity.ts";
import type { ListPosition, RegisterMessage } from "./registry_messages.ts";
import { CLIENT_NAME } from "./version.ts";

/**
 * The bytes a `register` signature covers: the registry's fresh nonce and
 * every field that ends up in the published record, so a captured
 * registration can be neither replayed nor edited.
 */
export function registrationTranscript(
  nonce: string,
  registration: Pick<RegisterMessage, "id" | "name" | "listenPort" | "advertise">,
): Uint8Array {
  return signedTranscript(
    "p2pchat/register/v1",
    nonce,
    registration.id,
    registration.name,
    String(registration.listenPort),
    registration.advertise ?? "",
  );
}

/** Who signs a registration: a peer's key pair (`Identity` in `peer/` is one). */
export interface RegistrationSigner {
  /** The peer ID: the fingerprint of the public key. */
  readonly id: string;
  /** The raw Ed25519 public key, base64. */
  readonly publicKeyBase64: string;
  /** An Ed25519 signature over `data`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** What a registration says besides who signs it. */
export interface RegistrationFields {
  name: string;
  /** The port the peer accepts direct links on. */
  listenPort: number;
  /** `HOST:PORT` to publish instead of the observed address; left out when undefined. */
  advertise?: string;
  /** Re-registrations since the peer started. Default 0. */
  reconnects?: number;
  /** Default {@linkcode CLIENT_NAME}. */
  client?: string;
  /**
   * The ID to claim. Default: the signer's own, the only one a registry
   * accepts (tests claim others to see them refused).
   */
  id?: string;
  /** Where the peer's list stands, for a registry that can send only what it missed (unsigned). */
  resume?: ListPosition;
}

/**
 * The `register` message answering the registry's challenge `nonce`, signed
 * by `signer` over {@linkcode registrationTranscript}.
 *
 * @example
 * ```ts
 * const challenge = await channel.receive(); // { type: "challenge", nonce, … }
 * channel.send(await signedRegistration(identity, challenge.nonce, { name: "alice", listenPort }));
 * ```
 */
export async function signedRegistration(
  signer: RegistrationSigner,
  nonce: string,
  fields: RegistrationFields,
): Promise<RegisterMessage> {
  const { name, listenPort, advertise } = fields;
  const signed = { id: fields.id ?? signer.id, name, listenPort, advertise };
  const signature = await signer.sign(registrationTranscript(nonce, signed));
  const message: RegisterMessage = {
    type: "register",
    ...signed,
    publicKey: signer.publicKeyBase64,
    reconnects: fields.reconnects ?? 0,
    client: fields.client ?? CLIENT_NAME,
    signature: signature.toBase64(),
  };
  if (advertise === undefined) delete message.advertise;
  if (fields.resume) message.resume = fields.resume;
  return message;
}
