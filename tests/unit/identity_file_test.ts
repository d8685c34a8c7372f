import assert from "node:assert/strict";
import { Identity, IDENTITY_FILE, IdentityError } from "../../peer/store/mod.ts";
import { PEER_ID_PATTERN, peerIdFromPublicKey, verifySignature } from "../../protocol/identity.ts";

/** A fresh temporary directory, removed with everything in it on dispose. */
async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "p2pchat-identity-test-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

function damaged(path: string, why: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof IdentityError, `expected an IdentityError, got ${error}`);
    assert.equal(error.name, "IdentityError");
    assert.ok(error.message.includes(path), `"${error.message}" does not name ${path}`);
    assert.match(error.message, why);
    assert.match(error.message, /peer ID will change/);
    return true;
  };
}

Deno.test("a first start creates the data directory and a private identity file", async () => {
  await using dir = await tempDir();
  const dataDir = `${dir.path}/alice`;
  const { identity, created } = await Identity.loadOrCreate(dataDir);
  assert.equal(created, true);
  assert.match(identity.id, PEER_ID_PATTERN);
  assert.equal(identity.id, await peerIdFromPublicKey(identity.publicKey));

  const file = `${dataDir}/${IDENTITY_FILE}`;
  const info = await Deno.stat(file);
  assert.ok(info.isFile);
  assert.equal((info.mode! & 0o777).toString(8), "600");
  // Only the key file is left behind, no temporary files.
  const entries = [];
  for await (const entry of Deno.readDir(dataDir)) entries.push(entry.name);
  assert.deepEqual(entries, [IDENTITY_FILE]);

  const saved = JSON.parse(await Deno.readTextFile(file));
  assert.equal(saved.version, 1);
  assert.equal(saved.publicKey, identity.publicKeyBase64);
  assert.equal(typeof saved.privateKey, "string");
});

Deno.test("the same data directory gives the same identity on the next start", async () => {
  await using dir = await tempDir();
  const first = await Identity.loadOrCreate(dir.path);
  const second = await Identity.loadOrCreate(dir.path);
  assert.equal(second.created, false);
  assert.equal(second.identity.id, first.identity.id);
  assert.deepEqual(second.identity.publicKey, first.identity.publicKey);

  // The loaded private key signs for the same public key.
  const data = new TextEncoder().encode("prove it");
  const signature = await second.identity.sign(data);
  assert.equal(await verifySignature(first.identity.publicKey, signature, data), true);
});

Deno.test("different data directories give different identities", async () => {
  await using dir = await tempDir();
  const alice = await Identity.loadOrCreate(`${dir.path}/alice`);
  const bob = await Identity.loadOrCreate(`${dir.path}/bob`);
  assert.notEqual(alice.identity.id, bob.identity.id);
});

Deno.test("an identity file that is not JSON is reported as damaged, naming the file", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/${IDENTITY_FILE}`;
  await Deno.writeTextFile(file, "{ this is not json");
  await assert.rejects(Identity.loadOrCreate(dir.path), damaged(file, /not valid JSON/));
  // The damaged file is left for the user to inspect, not replaced.
  assert.equal(await Deno.readTextFile(file), "{ this is not json");
});

Deno.test("an identity file missing its keys is reported as damaged", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/${IDENTITY_FILE}`;
  for (
    const content of [
      "null",
      "{}",
      '{"version":1,"publicKey":"AAAA"}',
      '{"version":2,"publicKey":"a","privateKey":"b"}',
    ]
  ) {
    await Deno.writeTextFile(file, content);
    await assert.rejects(
      Identity.loadOrCreate(dir.path),
      damaged(file, /missing version, publicKey or privateKey/),
      content,
    );
  }
});

Deno.test("an identity file whose keys cannot be read is reported as damaged", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/${IDENTITY_FILE}`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({ version: 1, publicKey: "not base64!", privateKey: "AAAA" }),
  );
  await assert.rejects(Identity.loadOrCreate(dir.path), damaged(file, /keys cannot be read/));
});

Deno.test("an identity file whose private key does not match its public key is reported as damaged", async () => {
  await using dir = await tempDir();
  await Identity.loadOrCreate(`${dir.path}/a`);
  await Identity.loadOrCreate(`${dir.path}/b`);
  const fileA = `${dir.path}/a/${IDENTITY_FILE}`;
  const a = JSON.parse(await Deno.readTextFile(fileA));
  const b = JSON.parse(await Deno.readTextFile(`${dir.path}/b/${IDENTITY_FILE}`));
  await Deno.writeTextFile(fileA, JSON.stringify({ ...a, publicKey: b.publicKey }));
  await assert.rejects(
    Identity.loadOrCreate(`${dir.path}/a`),
    damaged(fileA, /private key does not match the public key/),
  );
});

Deno.test({
  name: "an identity file whose public key has the wrong length is reported as damaged",
  async fn() {
    await using dir = await tempDir();
    await Identity.loadOrCreate(dir.path);
    const file = `${dir.path}/${IDENTITY_FILE}`;
    const saved = JSON.parse(await Deno.readTextFile(file));
    const shortKey = Uint8Array.fromBase64(saved.publicKey).subarray(0, 16).toBase64();
    await Deno.writeTextFile(file, JSON.stringify({ ...saved, publicKey: shortKey }));
    await assert.rejects(Identity.loadOrCreate(dir.path), damaged(file, /key/));
  },
});
