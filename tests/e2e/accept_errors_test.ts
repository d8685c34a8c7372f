/**
 * Running out of file descriptors must not kill a registry or a peer:
 * each runs under a lowered `ulimit -n`, is sent more connections than it
 * can hold, and must log the failure once, keep serving and recover.
 */

import assert from "node:assert/strict";
import { parseHostPort } from "../../protocol/mod.ts";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { RawPeer } from "../../sim/mod.ts";
import { tempDir } from "../support/temp_dir.ts";
import { waitUntil } from "../support/wait.ts";

const OPEN_FILES = 64;
const CONNECTIONS = 120;
/**
 * A peer listener's limits would close the flood before it used every
 * descriptor: lifted, so that accept() itself is what fails.
 */
const UNLIMITED_LISTENER = [
  "--link-connections-per-second",
  "100000",
  "--max-pending-links-per-ip",
  "1000",
  "--max-pending-links",
  "1000",
];

/** Opens `count` idle connections to `address` (more than the target can accept). */
async function flood(address: string, count: number): Promise<Deno.TcpConn[]> {
  const target = parseHostPort(address.replace("0.0.0.0", "127.0.0.1"));
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < count; i++) conns.push(await Deno.connect(target));
  return conns;
}

function closeAll(conns: Deno.TcpConn[]): void {
  for (const conn of conns) {
    try {
      conn.close();
    } catch { /* already closed by the other side */ }
  }
}

Deno.test("a registry out of file descriptors logs it once, keeps serving and accepts again", async () => {
  await using registry = await RegistryProcess.start(["--no-dashboard"], {
    openFilesLimit: OPEN_FILES,
  });
  await using alice = await RawPeer.connect(parseHostPort(registry.address), { trackPeers: true });
  await alice.register({ name: "alice" });
  const conns = await flood(registry.address, CONNECTIONS);
  try {
    await waitUntil(
      () => registry.stderr.includes("cannot accept connections"),
      "the registry to hit its limit",
    );
    await alice.heartbeat(); // the open session is still served
  } finally {
    closeAll(conns);
  }
  await using bob = await RawPeer.connect(parseHostPort(registry.address), { trackPeers: true });
  await bob.register({ name: "bob", timeoutMs: 10_000 });
  await alice.waitForPeers((peers) => peers.has(bob.identity.id), 10_000);
  assert.equal(registry.stderr.split("cannot accept connections").length - 1, 1, "said once");
  assert.match(registry.stderr, /accepting connections again/);
  assert.equal(registry.child.pid > 0 && !(await isExited(registry.exited)), true);
});

Deno.test("a peer out of file descriptors keeps its chats and accepts links again", async () => {
  await using dir = await tempDir();
  await using registry = await RegistryProcess.start();
  await using bob = await PeerProcess.start("bob", {
    registry: registry.address,
    dataDir: `${dir.path}/b`,
    openFilesLimit: OPEN_FILES,
    args: UNLIMITED_LISTENER,
  });
  await using alice = await PeerProcess.start("alice", {
    registry: registry.address,
    dataDir: `${dir.path}/a`,
  });
  const conns = await flood(bob.listen, CONNECTIONS);
  try {
    await waitUntil(() => bob.stderr.includes("cannot accept links"), "bob to hit its limit");
  } finally {
    closeAll(conns);
  }
  await alice.command({ cmd: "send", to: "bob", text: "still there?" });
  await bob.waitFor("message", { test: (e) => e.text === "still there?" });
  assert.equal(bob.stderr.split("cannot accept links").length - 1, 1, "said once");
});

Deno.test("a peer out of file descriptors while its registry is away keeps trying and registers again", async () => {
  await using dir = await tempDir();
  const registry = await RegistryProcess.start(["--no-dashboard"]);
  const address = registry.address;
  await using bob = await PeerProcess.start("bob", {
    registry: address,
    dataDir: `${dir.path}/b`,
    openFilesLimit: OPEN_FILES,
    args: UNLIMITED_LISTENER,
  });
  await bob.waitFor("registered");
  await registry.stop();
  await registry[Symbol.asyncDispose]();
  await bob.waitFor("registry_lost");
  // Every descriptor taken while bob retries: its next connect cannot even
  // open a socket (node:net reports EMFILE from bind, an error no Deno.errors
  // class names, which once ended the process).
  const conns = await flood(bob.listen, CONNECTIONS);
  try {
    await waitUntil(() => bob.stderr.includes("cannot accept links"), "bob to hit its limit");
    const mark = bob.mark();
    const retry = await bob.waitFor("registry_retry", {
      after: mark,
      test: (e) => /EMFILE|os error 24/.test(e.reason),
      timeoutMs: 10_000,
    });
    assert.match(retry.reason, /os error 24/);
  } finally {
    closeAll(conns);
  }
  const back = bob.mark();
  await using _registry = await RegistryProcess.startAt(address, ["--no-dashboard"]);
  const registered = await bob.waitFor("registered", { after: back, timeoutMs: 15_000 });
  assert.ok(registered.reconnects > 0, "registered again, as a reconnect");
});

async function isExited(exited: Promise<unknown>): Promise<boolean> {
  return await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 10)),
  ]);
}
