import assert from "node:assert/strict";
import { Identity } from "../../peer/mod.ts";
import { RawPeer } from "../../sim/mod.ts";
import { addressOf, registeredPeer, startRegistry } from "./registry_fixture.ts";

const BURST = 200;
const CONVERGE_MS = 15_000;

Deno.test("a burst of 200 registrations reaches everyone coalesced and consistent", async () => {
  await using registry = await startRegistry({
    // Heartbeats are not under test here: slow enough that nobody is evicted
    // and the deadline generous enough for a loaded two-core machine.
    heartbeatMs: 5000,
    registerTimeoutMs: 10_000,
  });
  await using watcher = await registeredPeer(registry, "watcher");
  const identities = await Promise.all(Array.from({ length: BURST }, () => Identity.generate()));
  const peers: RawPeer[] = [];
  try {
    for (const [index, identity] of identities.entries()) {
      peers.push(
        await RawPeer.connect(addressOf(registry), {
          identity,
          trackPeers: true,
          label: `peer-${index}`,
        }),
      );
    }
    await Promise.all(peers.map((peer) => peer.hello()));

    const welcomes = await Promise.all(
      peers.map((peer, index) =>
        peer.register({ name: `peer-${index}`, listenPort: 5000 + index })
      ),
    );
    assert.equal(new Set(welcomes.map((w) => w.id)).size, BURST);

    const everyone = BURST + 1;
    await watcher.waitForPeers((list) => list.size === everyone, CONVERGE_MS);
    await Promise.all(
      peers.map((peer) => peer.waitForPeers((list) => list.size === everyone, CONVERGE_MS)),
    );

    const deltas = watcher.messages.filter((m) => m.type === "peers_delta");
    const joins = deltas.flatMap((d) => d.changes).filter((c) => c.op === "joined");
    assert.equal(joins.length, BURST, "every newcomer announced exactly once");
    assert.ok(deltas.length < 40, `${BURST} joins took ${deltas.length} delta frames`);
    assert.equal(watcher.peerList?.snapshots, 1, "the watcher never got a full snapshot again");

    const truth = new Map(
      registry.peers().map(({ id, name, address }) => [id, { id, name, address }]),
    );
    assert.equal(truth.size, everyone);
    for (const observer of [watcher, ...peers]) {
      const list = observer.peerList!;
      assert.equal(list.problem, undefined);
      assert.equal(list.snapshots, 1, `${observer.label} got one snapshot`);
      assert.deepEqual(list.peers, truth, `${observer.label} sees what the registry knows`);
    }
  } finally {
    await Promise.all(peers.map((peer) => peer.close()));
  }
});
