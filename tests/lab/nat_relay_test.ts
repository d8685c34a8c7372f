/**
 * p2pchat behind a symmetric NAT, where hole punching cannot work (the NAT
 * gives each destination its own public port, so the port the registry saw
 * is not the one a punch leaves from): the registry relays the link. The
 * handshake and the sealed frames run end to end inside the relay, so the
 * registry — and anyone on the public side — sees ciphertext only.
 */

import assert from "node:assert/strict";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { type LabHost, NatLab } from "../support/nat_lab.ts";
import { skipNetnsTests } from "../support/netns.ts";
import { tempDir } from "../support/temp_dir.ts";

const ignore = await skipNetnsTests();

/**
 * A lab with alice behind a symmetric NAT and bob behind a port-preserving
 * one, a registry on the public side (with `registryArgs`), and both peers
 * started (with `peerArgs`).
 */
async function relayLab(
  options: { registryArgs?: string[]; peerArgs?: string[]; dashboard?: boolean } = {},
) {
  const lab = await NatLab.start({ nats: ["symmetric", "port-preserving"] });
  const dir = await tempDir();
  const roles: AsyncDisposable[] = [];
  const dispose = async () => {
    try {
      await Promise.all(roles.map((role) => role[Symbol.asyncDispose]()));
    } finally {
      await lab[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    }
  };
  try {
    const [a, b] = lab.private;
    const registryArgs = [
      "--listen",
      `${lab.public.address}:7070`,
      // On the public namespace's own loopback: reachable from inside it only.
      ...(options.dashboard ? ["--dashboard", "127.0.0.1:0"] : ["--no-dashboard"]),
      ...(options.registryArgs ?? []),
    ];
    const registry = await RegistryProcess.start(registryArgs, { netns: lab.public.netns });
    roles.push(registry);
    const start = async (name: string, netns: string) => {
      const peer = await PeerProcess.start(name, {
        registry: registry.address,
        dataDir: `${dir.path}/${name}`,
        netns,
        args: options.peerArgs,
      });
      roles.push(peer);
      return peer;
    };
    const alice = await start("alice", a.netns);
    const bob = await start("bob", b.netns);
    await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "bob" });
    return { lab, registry, registryArgs, alice, bob, start, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** GETs `url` from inside `host`'s namespace (where the registry's dashboard listens). */
async function fetchInside(lab: NatLab, host: LabHost, url: string): Promise<string> {
  const script = `console.log(await (await fetch(${JSON.stringify(url)})).text())`;
  return await lab.exec(host, Deno.execPath(), ["eval", script]);
}

/** The base64 forms `text` could take inside a base64 stream, at each of the three alignments. */
function base64Forms(text: string): string[] {
  return [0, 1, 2].map((skip) => {
    const encoded = new TextEncoder().encode(text).subarray(skip).toBase64();
    return encoded.slice(4, -4); // the middle, which does not depend on what surrounds it
  });
}

Deno.test({
  name: "behind a symmetric NAT the link is relayed: delivered, and read receipts come back",
  ignore,
  async fn() {
    await using setup = await relayLab({ dashboard: true });
    const { alice, bob } = setup;
    await alice.command({ cmd: "send", to: "bob", text: "punching will not work here" });
    const got = await bob.waitFor("message", { timeoutMs: 15_000 });
    assert.equal(got.text, "punching will not work here");
    await alice.waitFor("delivered");
    assert.deepEqual(alice.all("link").map((e) => e.path), ["relayed"]);
    assert.deepEqual(bob.all("link").map((e) => e.path), ["relayed"]);

    await bob.command({ cmd: "read", id: got.id });
    const read = await alice.waitFor("read");
    assert.equal(read.id, got.id);
    await bob.command({ cmd: "send", to: "alice", text: "and yet here we are" });
    assert.equal((await alice.waitFor("message")).text, "and yet here we are");
    assert.equal(alice.all("link").length, 1, "the answer took the same relayed link");

    // The registry counted the punch tries that failed, and the circuit and its bytes.
    const metrics = await fetchInside(
      setup.lab,
      setup.lab.public,
      new URL("/metrics", setup.registry.dashboardUrl).href,
    );
    assert.match(metrics, /^p2pchat_punch_attempts_total\{result="failed"\} 3$/m);
    assert.match(metrics, /^p2pchat_punch_attempts_total\{result="connected"\} 0$/m);
    assert.match(metrics, /^p2pchat_relay_circuits 1$/m);
    assert.ok(Number(/^p2pchat_relay_bytes_total (\d+)$/m.exec(metrics)?.[1]) > 0, metrics);
  },
});

Deno.test({
  name: "a capture on the public bridge during a relayed chat holds no plaintext",
  ignore,
  async fn() {
    await using setup = await relayLab({ peerArgs: ["--link-paths", "relay"] });
    const { lab, alice, bob } = setup;
    const secret = "the plan: meet at the old mill at noon, bring the blue folder";
    const answer = "understood, the old mill it is; I will bring the key";
    await using capture = await lab.capture("tcp port 7070");
    await alice.command({ cmd: "send", to: "bob", text: secret });
    const got = await bob.waitFor("message");
    assert.equal(got.text, secret);
    await bob.command({ cmd: "send", to: "alice", text: answer });
    assert.equal((await alice.waitFor("message")).text, answer);
    await bob.waitFor("delivered");
    assert.equal((await alice.waitFor("link")).path, "relayed");

    const { pcap, packets } = await capture.stop();
    const wire = new TextDecoder("latin1").decode(pcap);
    // The capture did see the relayed link: the registry connections carry it.
    assert.ok(
      wire.includes('"relay_data"'),
      `no relay traffic captured (${packets.length} packets)`,
    );
    for (const text of [secret, answer]) {
      assert.ok(!wire.includes(text), `plaintext on the wire: ${text}`);
      for (const form of base64Forms(text)) {
        assert.ok(!wire.includes(form), `base64 of the plaintext on the wire: ${text}`);
      }
    }
  },
});

Deno.test({
  name: "the registry killed during a relayed chat: messages wait, then arrive once each, in order",
  ignore,
  async fn() {
    await using setup = await relayLab();
    const { lab, alice, bob } = setup;
    await alice.command({ cmd: "send", to: "bob", text: "one" });
    await alice.waitFor("delivered", { timeoutMs: 15_000 });
    assert.equal((await alice.waitFor("link")).path, "relayed");

    setup.registry.kill("SIGKILL");
    await setup.registry.exited;
    await alice.waitFor("registry_lost");
    const mark = alice.mark();
    await alice.command({ cmd: "send", to: "bob", text: "two" });
    await alice.command({ cmd: "send", to: "bob", text: "three" });
    // No registry, no relay: both wait in the outbox.
    await alice.waitFor("pending", { after: mark, test: (e) => e.to.name === "bob" });
    await alice.command({ cmd: "outbox" });
    const outbox = await alice.waitFor("outbox", { after: mark });
    assert.deepEqual(outbox.messages.map((m) => m.text), ["two", "three"]);

    await using _again = await RegistryProcess.start(setup.registryArgs, {
      netns: lab.public.netns,
    });
    await bob.waitFor("message", { test: (e) => e.text === "three", timeoutMs: 20_000 });
    await alice.waitFor("delivered", {
      after: mark,
      test: (e) => outbox.messages.at(-1)?.id === e.id,
    });
    assert.deepEqual(bob.all("message").map((m) => m.text), ["one", "two", "three"]);
    assert.deepEqual(alice.all("link").map((e) => e.path), ["relayed", "relayed"]);
  },
});

Deno.test({
  name: "a relay circuit over its byte limit is throttled, not the registry",
  ignore,
  async fn() {
    // 160 kbps = 20,000 bytes/s per circuit and direction.
    await using setup = await relayLab({
      registryArgs: ["--relay-kbps", "160"],
      peerArgs: ["--link-paths", "relay"],
    });
    const { lab, alice, bob } = setup;
    const [a, b] = lab.private;
    const carol = await setup.start("carol", a.netns);
    const dave = await setup.start("dave", b.netns);
    await carol.waitFor("peer_joined", { test: (e) => e.peer.name === "dave" });
    // Both pairs' circuits are open before the bulk starts.
    await alice.command({ cmd: "send", to: "bob", text: "hello" });
    await carol.command({ cmd: "send", to: "dave", text: "hello" });
    await alice.waitFor("delivered");
    await carol.waitFor("delivered");

    const bulk = Array.from({ length: 6 }, (_, i) => `${i}`.repeat(12_000));
    const mark = alice.mark();
    const started = Date.now();
    for (const text of bulk) await alice.command({ cmd: "send", to: "bob", text });
    // Meanwhile the other circuit, and everyone's registration, are unaffected.
    await carol.command({ cmd: "send", to: "dave", text: "still quick?" });
    await dave.waitFor("message", { test: (e) => e.text === "still quick?" });
    const bulkDone = () =>
      alice.events.slice(mark).filter((e) => e.event === "delivered").length === bulk.length;
    assert.ok(!bulkDone(), "carol's message overtook alice's throttled bulk");
    await alice.waitFor("delivered", { after: mark, test: bulkDone, timeoutMs: 20_000 });
    const elapsed = Date.now() - started;
    // 72,000 characters: at 20,000 bytes/s, less a window's head start, over 2 s.
    assert.ok(elapsed >= 2000, `the bulk crossed in ${elapsed} ms`);
    assert.deepEqual(
      bob.all("message").slice(1).map((m) => m.text),
      bulk,
      "all of it, in order",
    );
    for (const peer of [alice, bob, carol, dave]) {
      assert.deepEqual(peer.all("registry_lost"), [], `${peer.name} kept its registration`);
    }
  },
});
