/**
 * Finding the registry on the LAN: a registry on one namespace of a bridge,
 * peers started without `--registry` on others. Multicast DNS travels the
 * lab's bridge like any switch; nothing leaves the lab.
 */

import assert from "node:assert/strict";
import { PeerProcess, RegistryProcess, TerminalPeerProcess } from "../support/processes.ts";
import { type LabHost, NatLab } from "../support/nat_lab.ts";
import { skipNetnsTests } from "../support/netns.ts";
import { tempDir } from "../support/temp_dir.ts";

const ignore = await skipNetnsTests();

/** Not 7070: the port must come from the answer, not from the default. */
const PORT = 7444;

async function startRegistry(lab: NatLab, args: string[] = []): Promise<RegistryProcess> {
  return await RegistryProcess.start(["--listen", `0.0.0.0:${PORT}`, "--no-dashboard", ...args], {
    netns: lab.public.netns,
  });
}

/** Sends `bytes` from `host` to the mDNS group, as anyone on the LAN may. */
async function sendDatagram(lab: NatLab, host: LabHost, bytes: Uint8Array): Promise<void> {
  const code = `import dgram from "node:dgram";
    const s = dgram.createSocket("udp4");
    s.bind({ address: "${host.address}", port: 0 }, () => {
      s.setMulticastInterface("${host.address}");
      s.send(new Uint8Array(${JSON.stringify([...bytes])}), 5353, "224.0.0.251", () => s.close());
    });`;
  await lab.exec(host, Deno.execPath(), ["eval", code]);
}

Deno.test({
  name: "peers started without --registry find the registry on the LAN, say which, and chat",
  ignore,
  async fn() {
    await using lab = await NatLab.start({ lanHosts: 2 });
    await using dir = await tempDir();
    await using registry = await startRegistry(lab);
    await registry.waitForLine(
      /^answering LAN discovery as "p2pchat registry on .*" on br0 198\.51\.100\.1$/,
    );
    const [lan1, lan2] = lab.lan;
    const expected = `${lab.public.address}:${PORT}`;

    // Garbage on the mDNS port first: ignored, and the responder keeps answering.
    await sendDatagram(lab, lan1, new Uint8Array([0, 1, 2, 3, 255, 255, 255, 255, 9]));

    await using alice = await PeerProcess.start("alice", {
      dataDir: `${dir.path}/alice`,
      netns: lan1.netns,
      waitRegistered: false,
    });
    const found = await alice.waitFor("registry_found", { timeoutMs: 5000 });
    assert.equal(found.registry, expected);
    assert.match(found.instance, new RegExp(`^p2pchat registry on .*:${PORT}$`));
    const registered = await alice.waitFor("registered", { timeoutMs: 5000 });
    assert.equal(registered.registry, expected);

    // The terminal says it in words.
    await using bob = await TerminalPeerProcess.start("bob", {
      dataDir: `${dir.path}/bob`,
      netns: lan2.netns,
    });
    assert.ok(
      bob.lines.some((line) =>
        line.includes(`* found registry ${expected} on the LAN ("p2pchat registry on`)
      ),
      bob.lines.join("\n"),
    );
    assert.ok(bob.lines.some((line) => line.includes(`* registered with ${expected}`)));

    // Found through the LAN, the registry is the ordinary one: they chat directly.
    await bob.waitForLine(/alice/);
    await bob.writeLine("/msg alice found you on the LAN");
    const message = await alice.waitFor("message", { timeoutMs: 5000 });
    assert.equal(message.text, "found you on the LAN");
    assert.equal(message.from.name, "bob");
  },
});

Deno.test({
  name: "with --no-discovery the registry stays silent and the peer keeps to 127.0.0.1:7070",
  ignore,
  async fn() {
    await using lab = await NatLab.start({ lanHosts: 1 });
    await using dir = await tempDir();
    await using registry = await startRegistry(lab, ["--no-discovery"]);
    await using capture = await lab.capture("udp port 5353");
    await using peer = await PeerProcess.start("alice", {
      dataDir: `${dir.path}/alice`,
      netns: lab.lan[0].netns,
      waitRegistered: false,
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.deepEqual(peer.all("registry_found"), []);
    assert.deepEqual(peer.all("registered"), []);
    const tried = peer.events.flatMap((e) => "registry" in e ? [e.registry] : []);
    assert.ok(tried.length > 0, "the peer never said where it tried");
    assert.deepEqual([...new Set(tried)], ["127.0.0.1:7070"]);
    assert.ok(!registry.lines.some((line) => line.startsWith("answering LAN discovery")));
    // The peer asked (queries on the wire); nobody answered.
    const { packets } = await capture.stop();
    assert.ok(
      packets.some((p) => p.includes(`${lab.lan[0].address}.`) && p.includes("> 224.0.0.251.5353")),
    );
    assert.deepEqual(packets.filter((p) => p.includes(`IP ${lab.public.address}.5353 >`)), []);
  },
});

Deno.test({
  name: "a peer with --no-discovery never asks the LAN",
  ignore,
  async fn() {
    await using lab = await NatLab.start({ lanHosts: 1 });
    await using dir = await tempDir();
    await using _registry = await startRegistry(lab);
    await using capture = await lab.capture("udp port 5353");
    await using peer = await PeerProcess.start("alice", {
      dataDir: `${dir.path}/alice`,
      netns: lab.lan[0].netns,
      args: ["--no-discovery"],
      waitRegistered: false,
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(peer.all("registry_found"), []);
    assert.deepEqual(peer.all("registered"), []);
    const { packets } = await capture.stop();
    assert.deepEqual(packets, []);
  },
});
