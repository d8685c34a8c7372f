/**
 * The attacks on the registry, made against a registry *process* at
 * its default limits: 256 half-open connections announcing 1 MiB frames,
 * repeated snapshot requests, and one IP filling the seats. Its memory and
 * file descriptors stay bounded, it stays up, and its peers are served.
 */

import assert from "node:assert/strict";
import { parseHostPort } from "../../protocol/mod.ts";
import { RawPeer } from "../../sim/mod.ts";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";
import { expectRefusal } from "./registry_fixture.ts";

const MiB = 1024 * 1024;

/** Resident memory and open file descriptors of process `pid`. */
async function usage(pid: number): Promise<{ rss: number; fds: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  let fds = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) fds++;
  return { rss: Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024, fds };
}

async function closeAll(peers: RawPeer[]): Promise<void> {
  await Promise.all(peers.map((peer) => peer.close()));
}

Deno.test("a registry process at its defaults survives the issue's exhaustion attacks and serves its peers", async (t) => {
  await using dir = await tempDir();
  // Slow heartbeats, so that the hundreds of raw peers below keep up; the
  // limits are all the defaults.
  await using registry = await RegistryProcess.start(["--heartbeat-ms", "3000"]);
  const address = parseHostPort(registry.address);
  const pid = registry.child.pid;
  await using alice = await PeerProcess.start("alice", {
    registry: registry.address,
    dataDir: `${dir.path}/alice`,
  });
  const before = await usage(pid);

  await t.step(
    "256 half-open connections announcing 1 MiB − 1 are refused at the header",
    async () => {
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, MiB - 1);
      const attackers: RawPeer[] = [];
      try {
        for (let i = 0; i < 256; i++) attackers.push(await RawPeer.connect(address));
        await Promise.all(attackers.map(async (peer) => {
          await peer.sendRaw(header);
          await peer.sendRaw(new Uint8Array(4000));
          await expectRefusal(peer, "frame_too_large");
        }));
        const during = await usage(pid);
        console.log(
          `registry RSS ${(before.rss / MiB).toFixed(0)} → ${(during.rss / MiB).toFixed(0)} MiB, ` +
            `${before.fds} → ${during.fds} descriptors once 256 attackers were refused`,
        );
        assert.ok(
          during.rss - before.rss < 64 * MiB,
          `RSS grew ${
            ((during.rss - before.rss) / MiB).toFixed(0)
          } MiB (it was 343 MiB before the limit)`,
        );
      } finally {
        await closeAll(attackers);
      }
    },
  );

  await t.step(
    "40 snapshot requests in a row get no snapshot beyond the registration's",
    async () => {
      await using attacker = await RawPeer.connect(address, { trackPeers: true });
      await attacker.register({ name: "attacker" });
      await attacker.waitForPeers(() => true);
      for (let i = 0; i < 40; i++) await attacker.send({ type: "snapshot_request" });
      await attacker.heartbeat(); // answered after every request before it
      const snapshots = attacker.messages.filter((m) => m.type === "snapshot").length;
      assert.equal(snapshots, 1, "one snapshot per 30 s, not one per request");
    },
  );

  await t.step(
    "one IP cannot take every seat: the 257th peer from 127.0.0.0/24 is refused",
    async () => {
      const squatters: RawPeer[] = [];
      // Heartbeats for every squatter so far (keepAlive beats a fixed list).
      const beat = setInterval(() => {
        for (const peer of squatters) {
          if (peer.ended) continue;
          peer.discard("heartbeat_ack");
          peer.sendHeartbeat();
        }
      }, 1000);
      try {
        // alice is one of the 256 already.
        for (let i = 1; i < 256; i++) {
          const peer = await RawPeer.connect(address);
          await peer.register({ name: `squat${i}` }).catch(async (error) => {
            await peer.close();
            throw error;
          });
          squatters.push(peer); // registered: heartbeats from now on
        }
        await using extra = await RawPeer.connect(address);
        await assert.rejects(extra.register({ name: "squat256" }), (error: Error) => {
          assert.match(
            error.message,
            /rate_limited: Too many peers online from 127\.0\.0\.0\/24 \(256\)/,
          );
          return true;
        });
      } finally {
        clearInterval(beat);
        await closeAll(squatters);
      }
    },
  );

  // Back to where it was: nothing held for the attackers, and still serving.
  await waitUntil(async () => {
    const after = await usage(pid);
    return after.fds <= before.fds + 4;
  }, "the registry to close the attackers' descriptors");
  const after = await usage(pid);
  assert.ok(
    after.rss - before.rss < 96 * MiB,
    `RSS ${(before.rss / MiB).toFixed(0)} → ${(after.rss / MiB).toFixed(0)} MiB`,
  );
  await using bob = await PeerProcess.start("bob", {
    registry: registry.address,
    dataDir: `${dir.path}/bob`,
  });
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob join");
  assert.equal(alice.all("registry_lost").length, 0, "alice never lost the registry");
  assert.ok(bob.id);
});
