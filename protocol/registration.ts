/**
 * A signed `register` message, built in one place for the registry client,
 * the simulated peers of tests and benchmarks, and the fuzzer.
 */

import { signedTranscript } from "./identity.ts";
import type { ChallengeMessage, ListPosition, RegisterMessage } from "./registry_messages.ts";
import { CLIENT_NAME } from "./version.ts";

/** What a registration signature covers besides the registry's nonce. */
export type SignedRegistration = Pick<
  RegisterMessage,
  "id" | "name" | "listenPort" | "advertise" | "registry" | "epoch"
>;

/**
 * The bytes a `register` signature covers: the registry's fresh nonce, the
 * registry it is for (the address the peer reached and the challenge's
 * epoch) and every field that ends up in the published record, so a captured
 * registration can be neither replayed, nor edited, nor relayed to another
 * registry.
 */
export function registrationTranscript(
  nonce: string,
  registration: SignedRegistration,
): Uint8Array {
  return signedTranscript(
    "p2pchat/register/v2",
    nonce,
    registration.registry,
    registration.epoch,
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
  /**
   * The registry's `HOST:PORT` as this peer's connection reached it:
   * `formatNetAddr(stream.remoteAddr)`, an IP literal, never the name dialled.
   */
  registry: string;
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
 * The `register` message answering the registry's `challenge` (its nonce and
 * epoch), signed by `signer` over {@linkcode registrationTranscript}.
 *
 * @example
 * ```ts
 * const challenge = await channel.receive(); // { type: "challenge", nonce, epoch, … }
 * const registry = formatNetAddr(channel.stream.remoteAddr);
 * channel.send(await signedRegistration(identity, challenge, { registry, name: "alice", listenPort }));
 * ```
 */
export async function signedRegistration(
  signer: RegistrationSigner,
  challenge: Pick<ChallengeMessage, "nonce" | "epoch">,
  fields: RegistrationFields,
): Promise<RegisterMessage> {
  const { name, listenPort, advertise, registry } = fields;
  const signed = {
    id: fields.id ?? signer.id,
    name,
    listenPort,
    advertise,
    registry,
    epoch: challenge.epoch,
  };
  const signature = await signer.sign(registrationTranscript(challenge.nonce, signed));
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
