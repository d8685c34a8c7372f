/**
 * A registry that never finishes its snapshot (`more: true` forever) must
 * not fill a peer's memory: the peer stops at its list limit, says so, and
 * asks again on a new connection.
 */

import assert from "node:assert/strict";
import { Identity, MAX_LIST_PEERS } from "../../peer/mod.ts";
import { encodeMessage, SNAPSHOT_CHUNK_PEERS } from "../../protocol/mod.ts";
import { FakeRegistry } from "../support/fake_registry.ts";
import { PeerProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";

/** Chunks the peer may take: its list limit. */
const LIMIT_CHUNKS = MAX_LIST_PEERS / SNAPSHOT_CHUNK_PEERS;
/** Chunks the fake sends at most, if nothing stops it. */
const MAX_CHUNKS = LIMIT_CHUNKS * 4;

/** Peak resident memory of process `pid` (VmHWM), in bytes. */
async function peakRss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

Deno.test("an endless run of more: true snapshot chunks is cut at the list limit, and the peer resyncs", async () => {
  await using dir = await tempDir();
  const alice = await Identity.generate();
  // One chunk of distinct-looking peers, sent again and again (the peer
  // collects the chunks before it looks at them, so repeats cost the same).
  const filler = await Identity.generate();
  const peers = Array.from({ length: SNAPSHOT_CHUNK_PEERS }, (_, i) => ({
    id: filler.id,
    name: `p${i}`,
    address: `10.0.${i >> 8}.${i & 255}:7000`,
  }));
  const chunk = encodeMessage({ type: "snapshot", epoch: "fake-epoch", seq: 0, peers, more: true });
  const sentPerSession: number[] = [];

  await using registry = new FakeRegistry(async (session) => {
    const index = sentPerSession.push(0) - 1;
    if (index > 0) {
      // The next connection: an honest list.
      session.send({
        type: "snapshot",
        epoch: session.epoch,
        seq: 0,
        peers: [{ id: alice.id, name: "alice", address: "127.0.0.1:9" }],
        more: false,
      });
      return;
    }
    while (!session.closed && sentPerSession[index] < MAX_CHUNKS) {
      session.sendEncoded(chunk);
      sentPerSession[index]++;
      await session.flushed();
    }
  });
  await using bob = await PeerProcess.start("bob", {
    registry: registry.address,
    dataDir: `${dir.path}/bob`,
  });
  const lost = await bob.waitFor("registry_lost", { timeoutMs: 60_000 });
  assert.match(
    lost.reason,
    new RegExp(
      `snapshot of epoch fake-epoch goes on past \\d+ peers and \\d+ bytes \\(limits: ${MAX_LIST_PEERS} peers`,
    ),
  );
  // Cut soon after the limit (what was in flight in the socket buffers
  // aside), long before the fake would have stopped by itself.
  assert.ok(
    sentPerSession[0] <= LIMIT_CHUNKS * 2,
    `the fake sent ${sentPerSession[0]} chunks of ${SNAPSHOT_CHUNK_PEERS} (limit ${LIMIT_CHUNKS})`,
  );
  // Resync: registered again, and the honest list arrives in full.
  await bob.waitFor("registered", { test: (event) => event.reconnects > 0 });
  const listed = await bob.waitFor("peers", { test: (event) => event.peers.length > 0 });
  assert.deepEqual(listed.peers.map((p) => p.name), ["alice"]);
  const peak = await peakRss(bob.child.pid);
  console.log(`peer peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB after ${sentPerSession[0]} chunks`);
  assert.ok(peak < 512 * 2 ** 20, `peer peak RSS ${peak} bytes`);
});
