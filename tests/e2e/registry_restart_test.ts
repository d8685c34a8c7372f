import assert from "node:assert/strict";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";
import { knownPeers, sameNames, waitUntil } from "../support/wait.ts";

Deno.test("peers keep chatting while the registry is down and re-register when it returns", async () => {
  await using dir = await tempDir();
  const first = await RegistryProcess.start();
  const address = first.address;
  await using alice = await PeerProcess.start("alice", {
    registry: address,
    dataDir: `${dir.path}/a`,
  });
  await using bob = await PeerProcess.start("bob", { registry: address, dataDir: `${dir.path}/b` });
  await using carol = await PeerProcess.start("carol", {
    registry: address,
    dataDir: `${dir.path}/c`,
  });
  const everyone = [alice, bob, carol];
  for (const peer of everyone) {
    const others = ["alice", "bob", "carol"].filter((n) => n !== peer.name);
    await waitUntil(() => sameNames(knownPeers(peer), others), `${peer.name} to see the others`);
  }

  // The registry dies without a word.
  const marks = everyone.map((p) => p.mark());
  first.kill("SIGKILL");
  await first[Symbol.asyncDispose]();
  for (const [i, peer] of everyone.entries()) {
    const lost = await peer.waitFor("registry_lost", { after: marks[i] });
    assert.equal(lost.registry, address);
    assert.ok(lost.retryInMs > 0);
  }

  // Chat goes on over the direct links, both to peers already linked and to new ones.
  await alice.command({ cmd: "send", to: "bob", text: "registry is down" });
  const toBob = await bob.waitFor("message", { test: (e) => e.text === "registry is down" });
  await alice.waitFor("delivered", { test: (e) => e.id === toBob.id });
  await carol.command({ cmd: "send", to: "alice", text: "still here" });
  const toAlice = await alice.waitFor("message", { test: (e) => e.text === "still here" });
  await carol.waitFor("delivered", { test: (e) => e.id === toAlice.id });

  // The registry comes back on the same address; nobody is told to log in.
  await using second = await RegistryProcess.startAt(address);
  for (const [i, peer] of everyone.entries()) {
    const again = await peer.waitFor("registered", { after: marks[i] });
    assert.equal(again.reconnects, 1, `${peer.name} counts its reconnect`);
  }
  for (const peer of everyone) {
    const others = ["alice", "bob", "carol"].filter((n) => n !== peer.name);
    await waitUntil(() => sameNames(knownPeers(peer), others), `${peer.name} to converge`);
  }
  // And the new registry's list is whole: a newcomer sees all three.
  await using dave = await PeerProcess.start("dave", {
    registry: second.address,
    dataDir: `${dir.path}/d`,
  });
  await waitUntil(
    () => sameNames(knownPeers(dave), ["alice", "bob", "carol"]),
    "dave to see the three who came back",
  );
  assert.equal(await second.stop(), 0);
});

Deno.test("a registry stopped with SIGTERM says goodbye and exits 0", async () => {
  await using dir = await tempDir();
  await using registry = await RegistryProcess.start();
  await using alice = await PeerProcess.start("alice", {
    registry: registry.address,
    dataDir: `${dir.path}/a`,
  });
  const mark = alice.mark();
  assert.equal(await registry.stop(), 0);
  const lost = await alice.waitFor("registry_lost", { after: mark });
  assert.match(lost.reason, /shutting down/);
});

Deno.test(
  "a frozen registry is noticed through missing heartbeat acks and rejoined when it thaws",
  {
    ignore: Deno.build.os === "windows",
  },
  async () => {
    await using dir = await tempDir();
    await using registry = await RegistryProcess.start();
    await using alice = await PeerProcess.start("alice", {
      registry: registry.address,
      dataDir: `${dir.path}/a`,
    });
    await using bob = await PeerProcess.start("bob", {
      registry: registry.address,
      dataDir: `${dir.path}/b`,
    });
    await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bob.id });

    const mark = alice.mark();
    registry.kill("SIGSTOP"); // its sockets stay open: only silence gives it away
    try {
      const lost = await alice.waitFor("registry_lost", { after: mark });
      assert.match(lost.reason, /no answer from the registry for \d+ ms/);
      await alice.command({ cmd: "send", to: "bob", text: "while frozen" });
      await bob.waitFor("message", { test: (e) => e.text === "while frozen" });
    } finally {
      registry.kill("SIGCONT");
    }
    const again = await alice.waitFor("registered", { after: mark, timeoutMs: 20_000 });
    assert.equal(again.reconnects, 1);
  },
);
