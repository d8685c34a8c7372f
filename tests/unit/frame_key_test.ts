import assert from "node:assert/strict";
import { importFrameKey, openWith, SAME_THREAD_BYTES, sealWith } from "../../protocol/mod.ts";

const iv = new Uint8Array(12).fill(7);

// Sizes on both sides of the switch between node:crypto and WebCrypto.
const SIZES = [0, 1, 200, SAME_THREAD_BYTES, SAME_THREAD_BYTES + 1, 64 * 1024];

Deno.test("a frame sealed on either side of the size switch opens with plain WebCrypto, and back", async () => {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const key = await importFrameKey(raw);
  raw.fill(0); // the key keeps its own copy
  const web = await crypto.subtle.importKey(
    "raw",
    key.native.export() as Uint8Array<ArrayBuffer>,
    "AES-GCM",
    false,
    ["encrypt", "decrypt"],
  );
  for (const size of SIZES) {
    const plaintext = new Uint8Array(size).map((_, i) => i * 31);
    const sealed = await sealWith(key, iv, plaintext);
    const reference = new Uint8Array(
      await crypto.subtle.encrypt({ name: "AES-GCM", iv }, web, plaintext),
    );
    assert.deepEqual(sealed, reference, `${size} bytes sealed as WebCrypto seals them`);
    assert.deepEqual(
      await openWith(key, iv, reference as Uint8Array<ArrayBuffer>),
      plaintext,
      `${size} bytes opened`,
    );
  }
});

Deno.test("a frame changed by one bit, or with another nonce, does not open", async () => {
  const key = await importFrameKey(crypto.getRandomValues(new Uint8Array(32)));
  for (const size of SIZES) {
    const sealed = await sealWith(key, iv, new Uint8Array(size).fill(1)) as Uint8Array<
      ArrayBuffer
    >;
    for (const at of [0, Math.floor(sealed.length / 2), sealed.length - 1]) {
      const tampered = sealed.slice();
      tampered[at] ^= 1;
      await assert.rejects(
        async () => await openWith(key, iv, tampered),
        `${size} bytes, bit flipped at ${at}`,
      );
    }
    await assert.rejects(async () => await openWith(key, new Uint8Array(12), sealed));
  }
  await assert.rejects(async () => await openWith(key, iv, new Uint8Array(15)));
});
