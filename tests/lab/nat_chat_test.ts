/**
 * p2pchat across NATs: two peers on two private networks, each behind its
 * own NAT router, with the registry on the public side. Neither can dial the
 * other's published address (nothing forwards the listen port), so the link
 * is made by hole punching: both peers dial each other's punch port mapping,
 * as the registry observes it, at the moment the registry names.
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
  name: "peers behind two port-preserving NATs chat over a punched link, a message each way",
  ignore,
  async fn() {
    await using lab = await NatLab.start({ nats: ["port-preserving", "port-preserving"] });
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

    // Each is listed at the other's NAT: the address the registry saw, with
    // a listen port that nothing forwards.
    const bobPort = bob.listen.split(":").pop();
    const bobAddress = await waitUntil(() => addressOf(alice, "bob"), "alice to list bob", 5000);
    assert.equal(bobAddress, `${b.nat.address}:${bobPort}`);
    const aliceAddress = await waitUntil(() => addressOf(bob, "alice"), "bob to list alice", 5000);
    assert.equal(aliceAddress.split(":")[0], a.nat.address);

    await using capture = await lab.capture("tcp and not port 7070");
    await alice.command({ cmd: "send", to: "bob", text: "can you hear me through two NATs?" });
    const got = await bob.waitFor("message", { timeoutMs: 10_000 });
    assert.equal(got.text, "can you hear me through two NATs?");
    const delivered = await alice.waitFor("delivered", { timeoutMs: 5000 });
    assert.equal(delivered.to.name, "bob");
    assert.equal((await alice.waitFor("link")).path, "punched");
    assert.equal((await bob.waitFor("link")).path, "punched");

    await bob.command({ cmd: "send", to: "alice", text: "loud and clear" });
    assert.equal((await alice.waitFor("message")).text, "loud and clear");
    await bob.waitFor("delivered");
    // The answer took the same link: no second one was made.
    assert.equal(alice.all("link").length, 1);
    assert.equal(bob.all("link").length, 1);

    // On the wire: the direct dial to bob's listen port went unanswered, and
    // the chat ran between the two NATs' punch-port mappings.
    const { packets } = await capture.stop();
    const toListenPort = `> ${b.nat.address}.${bobPort}: Flags [S]`;
    assert.ok(packets.some((p) => p.includes(toListenPort)), packets.join("\n"));
    assert.deepEqual(packets.filter((p) => p.includes(`${b.nat.address}.${bobPort} >`)), []);
    const between = packets.filter((p) =>
      p.includes(`${a.nat.address}.`) && p.includes(`${b.nat.address}.`) &&
      !p.includes(`.${bobPort}`)
    );
    assert.ok(between.length > 0, `no traffic between the NATs:\n${packets.join("\n")}`);

    const mark = alice.mark();
    await alice.command({ cmd: "peers" });
    const list = await alice.waitFor("peers", { after: mark });
    assert.equal(list.links?.[bob.id], "punched");
  },
});
