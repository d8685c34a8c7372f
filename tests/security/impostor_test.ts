import assert from "node:assert/strict";
import { Identity } from "../../peer/mod.ts";
import {
  deriveSessionKeys,
  finishedMac,
  FrameStream,
  type LinkHandshakeMessage,
  MessageChannel,
  newEphemeralKey,
  parseLinkHandshake,
  signedPart,
  transcriptBytes,
} from "../../protocol/mod.ts";
import { TestNetwork } from "../support/network.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

Deno.test("a registry entry pointing at someone else's address: handshake fails, message pending, error reported", async () => {
  await using network = await TestNetwork.start();
  const mallory = await network.peer("mallory");
  // bob is listed at mallory's address (a lying registry would do the same).
  const misdirected = await network.peer("bob", {
    args: ["--advertise", mallory.listen.replace("0.0.0.0", "127.0.0.1")],
  });
  const bobId = misdirected.id;
  const alice = await network.peer("alice");
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");

  await alice.command({ cmd: "send", to: "bob", text: "for bob only" });
  const error = await alice.waitFor("error", {
    test: (e) => /Not delivering to bob/.test(e.message),
  });
  assert.match(error.message, new RegExp(`This is not peer ${bobId.slice(0, 8)}`));
  assert.doesNotMatch(error.message, new RegExp(mallory.id.slice(0, 8)), "it does not name itself");
  const pending = await alice.waitFor("pending");
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(alice.all("delivered").length, 0, "nothing was delivered to the impostor");
  assert.equal(mallory.all("message").length, 0, "mallory received nothing");
  assert.equal(
    alice.all("error").filter((e) => /Not delivering/.test(e.message)).length,
    1,
    "said once, not retried",
  );

  // Once bob is listed at his real address, the message goes to him.
  assert.equal(await misdirected.quit(), 0);
  await misdirected[Symbol.asyncDispose]();
  const bob = await network.peer("bob");
  assert.equal(bob.id, bobId);
  await alice.waitFor("delivered", { test: (e) => e.id === pending.id });
  await bob.waitFor("message", { test: (e) => e.text === "for bob only" });
});

Deno.test("an impostor answering with its own key in another peer's name is refused", async () => {
  await using impostor = await listenAsImpostor();
  await using network = await TestNetwork.start();
  // Claims to be bob, but holds only its own key.
  const misdirected = await network.peer("bob", {
    args: ["--advertise", `127.0.0.1:${impostor.port}`],
  });
  impostor.claim(misdirected.id);
  const alice = await network.peer("alice");
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");

  await alice.command({ cmd: "send", to: "bob", text: "secret" });
  const error = await alice.waitFor("error", {
    test: (e) => /Not delivering to bob/.test(e.message),
  });
  assert.match(error.message, /presented a key that does not belong to ID/);
  await alice.waitFor("pending");
  assert.equal(alice.all("delivered").length, 0);
  assert.ok(impostor.handshakes >= 1, "alice really talked to the impostor");
});

/** A listener that answers every link_hello with a link_accept in another peer's name. */
async function listenAsImpostor() {
  const identity = await Identity.generate();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let claimedId = "";
  let handshakes = 0;
  const tasks = new Set<Promise<void>>();
  const serve = async (conn: Deno.TcpConn) => {
    const stream = new FrameStream(conn);
    const channel = new MessageChannel<LinkHandshakeMessage, LinkHandshakeMessage>(
      stream,
      parseLinkHandshake,
    );
    try {
      const hello = await channel.receive();
      if (hello?.type !== "link_hello") return;
      handshakes++;
      const ephemeral = await newEphemeralKey();
      const diallerEphemeral = Uint8Array.fromBase64(hello.ephemeral);
      const transcript = transcriptBytes({
        diallerId: hello.from,
        listenerId: claimedId,
        diallerEphemeral,
        listenerEphemeral: ephemeral.publicKey,
      });
      const keys = await deriveSessionKeys("listener", ephemeral, diallerEphemeral, transcript);
      channel.send({
        type: "link_accept",
        id: claimedId,
        publicKey: identity.publicKeyBase64,
        ephemeral: ephemeral.publicKey.toBase64(),
        signature: (await identity.sign(signedPart("listener", transcript))).toBase64(),
        mac: (await finishedMac(keys.listenerFinished, transcript)).toBase64(),
      });
      await channel.receive().catch(() => null);
    } finally {
      stream.close();
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const task = serve(conn).catch(() => {}).finally(() => tasks.delete(task));
        tasks.add(task);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  })();
  return {
    port: listener.addr.port,
    claim(id: string) {
      claimedId = id;
    },
    get handshakes() {
      return handshakes;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.all(tasks);
    },
  };
}
