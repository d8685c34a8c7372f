/**
 * An attacker's end of a direct link, for tests that talk to a real peer
 * process. It can run the genuine dialler ({@linkcode dialGenuine}, the
 * peer's own `dialHandshake`) over a stream that records and can hold back
 * frames, so the test can alter, replay or reorder them and put raw bytes on
 * the wire ({@linkcode TamperingStream}), or build the
 * handshake by hand ({@linkcode dialByHand}) to sign with the wrong key or
 * seal plaintexts no real peer would send ({@linkcode HandSealer}).
 *
 * @example
 * ```ts
 * await using link = await LinkClient.connect(bob.listen);
 * const channel = await dialGenuine(link, await Identity.generate(), bob.id);
 * channel.send({ type: "chat", id: newMessageId(), text: "hi", sentAt: Date.now(), broadcast: false });
 * await channel.flushed();
 * link.stream.writeRaw(link.stream.frames.at(-1)!); // replay it
 * ```
 */

import { waitAtMost } from "../../async/mod.ts";
import {
  deriveSessionKeys,
  encodeFrame,
  encodeMessage,
  finishedMac,
  FrameStream,
  LINK_PROTOCOL_VERSION,
  type LinkMessage,
  newEphemeralKey,
  parseHostPort,
  type SessionKeys,
  signedPart,
  transcriptBytes,
} from "../../protocol/mod.ts";
import type { Identity } from "../../peer/mod.ts";
import { dialHandshake, type SealedLinkChannel } from "../../peer/link/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Handshake step timeout for the test's own side. */
const HANDSHAKE_TIMEOUT_MS = 5000;

/**
 * A {@linkcode FrameStream} that keeps a copy of every frame written and can
 * hold frames back, for the test to send later — changed, twice or out of order.
 */
export class TamperingStream extends FrameStream {
  /** Every frame handed to {@linkcode writeFrame}, header included. */
  readonly frames: Uint8Array[] = [];
  /** While true, frames are recorded but not sent (send them later with {@linkcode writeRaw}). */
  holding = false;

  override writeFrame(frame: Uint8Array): void {
    this.frames.push(frame.slice());
    if (!this.holding) super.writeFrame(frame);
  }

  /** Queues bytes exactly as given: whole frames, parts of frames, several at once. */
  writeRaw(bytes: Uint8Array): void {
    super.writeFrame(bytes);
  }
}

/** A plain TCP connection to a peer's link listener, framed, closed on dispose. */
export class LinkClient implements AsyncDisposable {
  readonly stream: TamperingStream;
  readonly #conn: Deno.TcpConn;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.stream = new TamperingStream(conn);
  }

  /** Connects to `address` (`HOST:PORT`, as a peer's `ready` event prints it). */
  static async connect(address: string): Promise<LinkClient> {
    return new LinkClient(await Deno.connect({ ...parseHostPort(address), transport: "tcp" }));
  }

  /**
   * Waits for everything queued to leave, then shuts down our sending half:
   * the peer reads the end of the stream but can still answer.
   */
  async stopSending(): Promise<void> {
    await this.stream.flushed();
    await this.#conn.closeWrite();
  }

  /** `HOST:PORT` of our end, as the peer logs it (`remote=…`). */
  get localAddress(): string {
    return `${this.stream.localAddr.hostname}:${this.stream.localAddr.port}`;
  }

  /** Sends a JSON value as one plaintext frame. */
  async sendPlain(value: unknown): Promise<void> {
    this.stream.writeRaw(encodeMessage(value as object));
    await this.stream.flushed();
  }

  /**
   * Every plaintext frame received until the peer closes the connection,
   * each parsed as JSON. Throws if the peer keeps it open longer than
   * `timeoutMs` (the connection is then closed by us).
   */
  async plainFramesUntilClosed(timeoutMs = 10_000): Promise<Record<string, unknown>[]> {
    const frames: Record<string, unknown>[] = [];
    await untilClosed(this.stream, timeoutMs, async () => {
      const payload = await this.stream.readFrame();
      if (payload !== null) frames.push(JSON.parse(decoder.decode(payload)));
      return payload !== null;
    });
    return frames;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.stream.close();
    await this.stream.flushed();
  }
}

/** Runs the real dialler's handshake as `identity`, towards `expectedId`. */
export async function dialGenuine(
  client: LinkClient,
  identity: Identity,
  expectedId: string,
): Promise<SealedLinkChannel> {
  return await dialHandshake(client.stream, identity, expectedId, HANDSHAKE_TIMEOUT_MS);
}

/**
 * Every message the peer sends on an established link until it closes it.
 * Throws if it keeps the link open longer than `timeoutMs`, or if a frame
 * fails to open (the peer's sealing would be broken).
 */
export async function sealedMessagesUntilClosed(
  channel: SealedLinkChannel,
  timeoutMs = 10_000,
): Promise<LinkMessage[]> {
  const messages: LinkMessage[] = [];
  await untilClosed(channel.stream, timeoutMs, async () => {
    const message = await channel.receive();
    if (message !== null) messages.push(message);
    return message !== null;
  });
  return messages;
}

/** Options for {@linkcode dialByHand}. */
export interface HandDialOptions {
  /** The ID claimed in `link_hello`. Default: `signWith`'s own. */
  claimId?: string;
  /** Who signs `link_confirm`. */
  signWith: Identity;
  /** The public key presented in `link_confirm`. Default: `signWith`'s. */
  presentKey?: string;
}

/**
 * The dialler's side of the handshake, written out step by step with the
 * protocol's crypto primitives, so any part of the proof can be forged.
 * Returns the session keys (the listener accepted or refused the confirm —
 * the caller finds out by reading on).
 */
export async function dialByHand(
  client: LinkClient,
  listenerId: string,
  options: HandDialOptions,
): Promise<SessionKeys> {
  const signer = options.signWith;
  const claimId = options.claimId ?? signer.id;
  const ephemeral = await newEphemeralKey();
  await client.sendPlain({
    type: "link_hello",
    protocol: LINK_PROTOCOL_VERSION,
    from: claimId,
    to: listenerId,
    ephemeral: ephemeral.publicKey.toBase64(),
  });
  const payload = await client.stream.readFrame();
  if (payload === null) throw new Error("The listener closed the connection instead of accepting");
  const accept = JSON.parse(decoder.decode(payload));
  if (accept.type !== "link_accept") {
    throw new Error(`Expected link_accept, got ${decoder.decode(payload)}`);
  }
  const transcript = transcriptBytes({
    diallerId: claimId,
    listenerId,
    diallerEphemeral: ephemeral.publicKey,
    listenerEphemeral: Uint8Array.fromBase64(accept.ephemeral),
  });
  const keys = await deriveSessionKeys(
    "dialler",
    ephemeral,
    Uint8Array.fromBase64(accept.ephemeral),
    transcript,
  );
  await client.sendPlain({
    type: "link_confirm",
    publicKey: options.presentKey ?? signer.publicKeyBase64,
    signature: (await signer.sign(signedPart("dialler", transcript))).toBase64(),
    mac: (await finishedMac(keys.diallerFinished, transcript)).toBase64(),
  });
  return keys;
}

/**
 * Seals and opens frames as docs/PROTOCOL.md specifies — AES-256-GCM, nonce
 * = 4 zero bytes + a 64-bit count of frames in that direction — but over any
 * plaintext, so a test can send a well-sealed frame that holds nonsense.
 */
export class HandSealer {
  readonly #keys: SessionKeys;
  #sent = 0;
  #received = 0;

  constructor(keys: SessionKeys) {
    this.#keys = keys;
  }

  /** The next outgoing frame (header included) carrying `plaintext`. */
  async seal(plaintext: string): Promise<Uint8Array> {
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce(this.#sent++) },
      this.#keys.send.web,
      encoder.encode(plaintext),
    );
    return encodeFrame(new Uint8Array(sealed));
  }

  /** Opens the next incoming frame's payload and parses its JSON batch. */
  async open(payload: Uint8Array): Promise<unknown> {
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: nonce(this.#received++) },
      this.#keys.receive.web,
      payload as Uint8Array<ArrayBuffer>,
    );
    return JSON.parse(decoder.decode(plaintext));
  }

  /** Every batch the peer sends until it closes the connection. */
  async batchesUntilClosed(client: LinkClient, timeoutMs = 10_000): Promise<unknown[]> {
    const batches: unknown[] = [];
    await untilClosed(client.stream, timeoutMs, async () => {
      const payload = await client.stream.readFrame();
      if (payload !== null) batches.push(await this.open(payload));
      return payload !== null;
    });
    return batches;
  }
}

function nonce(counter: number): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(12);
  new DataView(iv.buffer).setBigUint64(4, BigInt(counter));
  return iv;
}

/**
 * Runs `step` until it reports the end (false). If the other side has not
 * closed within `timeoutMs`, closes the stream and throws, so a test never
 * mistakes its own timeout for the peer hanging up.
 */
async function untilClosed(
  stream: FrameStream,
  timeoutMs: number,
  step: () => Promise<boolean>,
): Promise<void> {
  const reading = (async () => {
    while (await step()) {
      // keep reading
    }
  })();
  if (await waitAtMost(reading, timeoutMs)) return;
  stream.close();
  await reading;
  throw new Error(`The peer kept the connection open for ${timeoutMs} ms`);
}
