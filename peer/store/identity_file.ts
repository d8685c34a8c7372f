/**
 * This peer's identity: an Ed25519 key pair kept in its data directory. The
 * peer ID is derived from the public key, so keeping the file keeps the ID.
 */

import { peerIdFromPublicKey } from "../../protocol/mod.ts";

/** File name of the key pair inside the data directory. */
export const IDENTITY_FILE = "identity.json";

interface IdentityFile {
  version: 1;
  /** Raw public key, base64. */
  publicKey: string;
  /** PKCS #8 private key, base64. */
  privateKey: string;
}

/** A problem with the identity file that the user must resolve. */
export class IdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** An Ed25519 key pair and the ID derived from it. */
export class Identity {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly #privateKey: CryptoKey;

  private constructor(id: string, publicKey: Uint8Array, privateKey: CryptoKey) {
    this.id = id;
    this.publicKey = publicKey;
    this.#privateKey = privateKey;
  }

  /** The public key as it travels: base64 of the raw 32 bytes. */
  get publicKeyBase64(): string {
    return this.publicKey.toBase64();
  }

  /** Signs `data` with the private key. */
  async sign(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(
      await crypto.subtle.sign("Ed25519", this.#privateKey, data as Uint8Array<ArrayBuffer>),
    );
  }

  /** A fresh identity that lives only in memory (tests, benchmarks). */
  static async generate(): Promise<Identity> {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    return await Identity.#fromKeys(
      new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
      new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    );
  }

  /**
   * Loads the identity kept in `dataDir`, creating directory and key pair on
   * first start. The key file is written with mode 0600.
   */
  static async loadOrCreate(dataDir: string): Promise<{ identity: Identity; created: boolean }> {
    const path = `${dataDir}/${IDENTITY_FILE}`;
    let text: string | undefined;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (text !== undefined) return { identity: await Identity.#parse(path, text), created: false };

    const identity = await Identity.generate();
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const file: IdentityFile = {
      version: 1,
      publicKey: identity.publicKeyBase64,
      privateKey: new Uint8Array(
        await crypto.subtle.exportKey("pkcs8", identity.#privateKey),
      ).toBase64(),
    };
    await writeDurably(path, JSON.stringify(file, null, 2) + "\n");
    return { identity, created: true };
  }

  static async #parse(path: string, text: string): Promise<Identity> {
    const damaged = (why: string) =>
      new IdentityError(
        `Identity file ${path} is damaged (${why}). Restore it from a backup, or move it ` +
          `away to start with a new identity (the peer ID will change).`,
      );
    let file: Partial<IdentityFile>;
    try {
      file = JSON.parse(text);
    } catch {
      throw damaged("not valid JSON");
    }
    if (
      file?.version !== 1 || typeof file.publicKey !== "string" ||
      typeof file.privateKey !== "string"
    ) {
      throw damaged("missing version, publicKey or privateKey");
    }
    let identity: Identity;
    let matches: boolean;
    try {
      identity = await Identity.#fromKeys(
        Uint8Array.fromBase64(file.publicKey),
        Uint8Array.fromBase64(file.privateKey),
      );
      // A private key that does not match the public key would make every
      // registration fail with a confusing signature error later.
      const probe = crypto.getRandomValues(new Uint8Array(32));
      const publicKey = await crypto.subtle.importKey(
        "raw",
        identity.publicKey as Uint8Array<ArrayBuffer>,
        "Ed25519",
        false,
        ["verify"],
      );
      matches = await crypto.subtle.verify("Ed25519", publicKey, await identity.sign(probe), probe);
    } catch {
      throw damaged("the keys cannot be read");
    }
    if (!matches) throw damaged("the private key does not match the public key");
    return identity;
  }

  static async #fromKeys(publicKey: Uint8Array, pkcs8: Uint8Array): Promise<Identity> {
    const privateKey = await crypto.subtle.importKey(
      "pkcs8",
      pkcs8 as Uint8Array<ArrayBuffer>,
      "Ed25519",
      true,
      ["sign"],
    );
    return new Identity(await peerIdFromPublicKey(publicKey), publicKey, privateKey);
  }
}

/**
 * Writes `text` to `path` so that after a crash or power loss the file is
 * either absent or whole: written to a temporary file, which is fsynced (its
 * bytes) with its directory (its name) before the rename, and the directory
 * fsynced again after it (the new name). Without the first fsync, a
 * filesystem may commit the rename before the data and leave an empty key
 * file, and the peer would lose its ID.
 */
async function writeDurably(path: string, text: string): Promise<void> {
  const directory = path.slice(0, path.lastIndexOf("/")) || "/";
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  {
    using file = await Deno.open(temporary, { write: true, createNew: true, mode: 0o600 });
    const bytes = new TextEncoder().encode(text);
    for (let written = 0; written < bytes.length;) {
      written += await file.write(bytes.subarray(written));
    }
    await file.sync();
  }
  await syncDirectory(directory);
  await Deno.rename(temporary, path);
  await syncDirectory(directory);
}

/** fsync on a directory: makes the names in it (created, renamed) durable. */
async function syncDirectory(directory: string): Promise<void> {
  using handle = await Deno.open(directory, { read: true });
  await handle.sync();
}
