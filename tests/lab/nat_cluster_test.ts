/**
 * Hole punching across a cluster: two registry instances sharing a Redis on
 * the lab's public side, a peer behind each of two port-preserving NATs,
 * each registered on a different instance. The punch is arranged by the
 * target's instance; the requester's instance passes the messages on, with
 * the requester's address as it observes it (docs/CLUSTER.md).
 */

import assert from "node:assert/strict";
import { NatLab } from "../support/nat_lab.ts";
import { skipNetnsTests } from "../support/netns.ts";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";

const ignore = await skipNetnsTests();

Deno.test({
  name: "peers behind two NATs, registered on different instances, chat over a punched link",
  ignore,
  async fn() {
    await using lab = await NatLab.start({ nats: ["port-preserving", "port-preserving"] });
    await using dir = await tempDir();
    const [a, b] = lab.private;
    const hub = lab.public.address;
    const redis = lab.spawn(lab.public, "redis-server", [
      "--port",
      "6379",
      "--bind",
      hub,
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir.path,
      // Off the loopback, protected mode refuses clients without a password.
      "--requirepass",
      "lab-only-secret",
    ]);
    await redis.waitForLine(/Ready to accept connections/, 0, 10_000);
    const instance = async (name: string, port: number) =>
      await RegistryProcess.start([
        "--listen",
        `${hub}:${port}`,
        "--no-dashboard",
        "--cluster",
        `redis://:lab-only-secret@${hub}:6379`,
        "--instance",
        name,
        "--heartbeat-ms",
        "500",
      ], { netns: lab.public.netns });
    await using first = await instance("a", 7070);
    await using second = await instance("b", 7071);
    const peer = (name: string, netns: string, registry: string) =>
      PeerProcess.start(name, { registry, dataDir: `${dir.path}/${name}`, netns });
    await using alice = await peer("alice", a.netns, first.address);
    await using bob = await peer("bob", b.netns, second.address);
    await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "bob", timeoutMs: 10_000 });

    await alice.command({ cmd: "send", to: "bob", text: "punched across two instances?" });
    assert.equal((await bob.waitFor("message")).text, "punched across two instances?");
    await alice.waitFor("delivered");
    assert.equal((await alice.waitFor("link")).path, "punched");
    assert.equal((await bob.waitFor("link")).path, "punched");
    await bob.command({ cmd: "send", to: "alice", text: "yes, through both NATs" });
    assert.equal((await alice.waitFor("message")).text, "yes, through both NATs");
    assert.equal(alice.all("link").length, 1, "the answer took the same link");
    assert.equal(alice.all("registered")[0].registry, first.address);
    assert.equal(bob.all("registered")[0].registry, second.address);
  },
});
