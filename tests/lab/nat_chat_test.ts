/**
 * p2pchat in the NAT lab, as it behaves today.
 *
 * KNOWN LIMITATION — this file documents the problem issue 13 solves. Two
 * peers behind two NATs both register and see each other, but a direct link
 * cannot be made: the registry publishes each NAT's public address with the
 * peer's listen port, which nothing forwards, so the SYN is dropped and the
 * message waits in the outbox. The test asserts that *current* behaviour
 * (`pending`, and no `delivered` within a bound). Whoever implements hole
 * punching and relaying flips it: the message is then delivered, over a
 * `punched` or `relayed` link.
 */

import assert from "node:assert/strict";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { NatLab } from "../support/nat_lab.ts";
import { skipNetnsTests } from "../support/netns.ts";
import { tempDir } from "../support/temp_dir.ts";
import { waitUntil } from "../support/wait.ts";

const ignore = await skipNetnsTests();

/** The address `peer` last heard for the peer named `name` (from peer list events). */
function addressOf(peer: PeerProcess, name: string): string | undefined {
  let address: string | undefined;
  for (const event of peer.events) {
    if (event.event === "peers") {
      address = event.peers.find((p) => p.name === name)?.address ?? address;
    } else if (event.event === "peer_joined" && event.peer.name === name) {
      address = event.peer.address;
    }
  }
  return address;
}

Deno.test({
  name:
    "KNOWN LIMITATION (issue 13): peers behind two NATs see each other but a message stays pending",
  ignore,
  async fn() {
    await using lab = await NatLab.start();
    await using dir = await tempDir();
    const [a, b] = lab.private;
    await using registry = await RegistryProcess.start(
      ["--listen", `${lab.public.address}:7070`, "--no-dashboard"],
      { netns: lab.public.netns },
    );
    const start = (name: string, netns: string) =>
      PeerProcess.start(name, {
        registry: registry.address,
        dataDir: `${dir.path}/${name}`,
        netns,
      });
    await using alice = await start("alice", a.netns);
    await using bob = await start("bob", b.netns);

    // Both registered and listed, each at the other's NAT (the address the registry saw).
    const bobPort = bob.listen.split(":").pop();
    const bobAddress = await waitUntil(() => addressOf(alice, "bob"), "alice to list bob", 5000);
    assert.equal(bobAddress, `${b.nat.address}:${bobPort}`);
    const aliceAddress = await waitUntil(() => addressOf(bob, "alice"), "bob to list alice", 5000);
    assert.equal(aliceAddress.split(":")[0], a.nat.address);

    await using capture = await lab.capture(`tcp port ${bobPort}`);
    await alice.command({ cmd: "send", to: "bob", text: "can you hear me through two NATs?" });
    // Today's dial deadline is 5 s; after it the message is reported pending.
    const pending = await alice.waitFor("pending", { timeoutMs: 8000 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(alice.all("delivered").filter((e) => e.id === pending.id), []);
    assert.deepEqual(bob.all("message"), []);

    // On the wire: alice's SYNs to bob's NAT, never answered.
    const { packets } = await capture.stop();
    const toBob = `> ${b.nat.address}.${bobPort}: Flags [S]`;
    assert.ok(
      packets.some((p) => p.includes(toBob)),
      `no SYN to bob's NAT:\n${packets.join("\n")}`,
    );
    assert.deepEqual(packets.filter((p) => p.includes(`${b.nat.address}.${bobPort} >`)), []);
  },
});
