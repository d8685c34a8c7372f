import assert from "node:assert/strict";
import { PeerDirectory } from "../../peer/mod.ts";
import { coalesceChanges, PeerListPublisher } from "../../registry/peer_list_publisher.ts";
import { FrameDecoder } from "../../protocol/frame_codec.ts";
import { decodeMessage } from "../../protocol/message_channel.ts";
import {
  DELTA_MAX_CHANGES,
  parseRegistryToPeer,
  type PeerChange,
  type PeerInfo,
  type PeersDeltaMessage,
  type RegistryToPeer,
  SNAPSHOT_CHUNK_PEERS,
  type SnapshotMessage,
} from "../../protocol/registry_messages.ts";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** A valid 52-character peer ID, distinct for each `n`, all sharing no long prefix. */
function idFor(n: number): string {
  let id = "";
  let value = n;
  for (let i = 0; i < 4; i++) {
    id += ALPHABET[value % 32];
    value = Math.floor(value / 32);
  }
  return id + "q".repeat(48);
}

function peer(
  n: number,
  name = `peer${n}`,
  address = `127.0.0.1:${40000 + (n % 20000)}`,
): PeerInfo {
  return { id: idFor(n), name, address };
}

const SELF = idFor(999_999);

function snapshot(
  peers: PeerInfo[],
  options: { epoch?: string; seq?: number; more?: boolean } = {},
): SnapshotMessage {
  return {
    type: "snapshot",
    epoch: options.epoch ?? "e1",
    seq: options.seq ?? 0,
    peers,
    more: options.more ?? false,
  };
}

function delta(seq: number, changes: PeerChange[], epoch = "e1"): PeersDeltaMessage {
  return { type: "peers_delta", epoch, seq, changes };
}

function names(directory: PeerDirectory): string[] {
  return directory.list().map((p) => p.name);
}

// ---- PeerDirectory ------------------------------------------------------------------------

Deno.test("peer directory takes its list from a snapshot, sorted by name", () => {
  const directory = new PeerDirectory(SELF);
  const changes = directory.applySnapshot(
    snapshot([peer(2, "carol"), peer(1, "alice"), peer(3, "bob")], { seq: 7 }),
  );
  assert.deepEqual(names(directory), ["alice", "bob", "carol"]);
  assert.equal(directory.size, 3);
  assert.equal(directory.epoch, "e1");
  assert.equal(directory.seq, 7);
  assert.deepEqual(
    changes?.map((c) => [c.kind, c.peer.name]),
    [["joined", "carol"], ["joined", "alice"], ["joined", "bob"]],
  );
});

Deno.test("peer directory leaves itself out of the list", () => {
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(snapshot([peer(1, "alice"), peer(999_999, "me")]));
  assert.deepEqual(names(directory), ["alice"]);
  assert.equal(directory.get(SELF), undefined);
  const outcome = directory.applyDelta(delta(1, [{ op: "updated", peer: peer(999_999, "me2") }]));
  assert.deepEqual(outcome, { kind: "applied", changes: [] });
  assert.deepEqual(names(directory), ["alice"]);
});

Deno.test("peer directory waits for every frame of a snapshot that spans several", () => {
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(snapshot([peer(50, "old")], { seq: 1 }));
  assert.equal(
    directory.applySnapshot(snapshot([peer(1), peer(2)], { seq: 4, more: true })),
    null,
  );
  // Nothing changes until the last frame arrives.
  assert.deepEqual(names(directory), ["old"]);
  assert.equal(directory.seq, 1);
  assert.equal(directory.applySnapshot(snapshot([peer(3)], { seq: 4, more: true })), null);
  const changes = directory.applySnapshot(snapshot([peer(4)], { seq: 4 }));
  assert.deepEqual(names(directory), ["peer1", "peer2", "peer3", "peer4"]);
  assert.equal(directory.seq, 4);
  assert.deepEqual(
    changes?.map((c) => `${c.kind} ${c.peer.name}`),
    ["left old", "joined peer1", "joined peer2", "joined peer3", "joined peer4"],
  );
});

Deno.test("peer directory drops an unfinished snapshot when a newer one starts", () => {
  const directory = new PeerDirectory(SELF);
  assert.equal(directory.applySnapshot(snapshot([peer(1)], { seq: 2, more: true })), null);
  directory.applySnapshot(snapshot([peer(2)], { seq: 3 }));
  assert.deepEqual(names(directory), ["peer2"]);
});

Deno.test("peer directory applies deltas that come in sequence", () => {
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(snapshot([peer(1, "alice")], { seq: 5 }));
  const joined = directory.applyDelta(delta(6, [{ op: "joined", peer: peer(2, "bob") }]));
  assert.deepEqual(joined, {
    kind: "applied",
    changes: [{ kind: "joined", peer: peer(2, "bob") }],
  });
  const moved = peer(1, "alice", "10.0.0.9:5000");
  const updated = directory.applyDelta(delta(7, [
    { op: "updated", peer: moved },
    { op: "left", id: idFor(2), reason: "kicked" },
  ]));
  assert.deepEqual(updated, {
    kind: "applied",
    changes: [
      { kind: "updated", peer: moved, previous: peer(1, "alice") },
      { kind: "left", peer: peer(2, "bob"), reason: "kicked" },
    ],
  });
  assert.deepEqual(directory.list(), [moved]);
  assert.equal(directory.seq, 7);
});

Deno.test("peer directory reports no change for an update that changes nothing or a leave of a stranger", () => {
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(snapshot([peer(1)]));
  assert.deepEqual(
    directory.applyDelta(delta(1, [
      { op: "updated", peer: peer(1) },
      { op: "left", id: idFor(77), reason: "bye" },
    ])),
    { kind: "applied", changes: [] },
  );
  assert.equal(directory.seq, 1);
});

Deno.test("peer directory ignores a delta it has already applied", () => {
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(snapshot([peer(1)], { seq: 3 }));
  assert.deepEqual(
    directory.applyDelta(delta(3, [{ op: "left", id: idFor(1), reason: "bye" }])),
    { kind: "stale" },
  );
  assert.deepEqual(
    directory.applyDelta(delta(2, [{ op: "joined", peer: peer(2) }])),
    { kind: "stale" },
  );
  assert.deepEqual(names(directory), ["peer1"]);
  assert.equal(directory.seq, 3);
});

Deno.test("peer directory detects a skipped delta and leaves its list alone", () => {
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(snapshot([peer(1)], { seq: 3 }));
  assert.deepEqual(
    directory.applyDelta(delta(5, [{ op: "joined", peer: peer(2) }])),
    { kind: "gap" },
  );
  assert.deepEqual(names(directory), ["peer1"]);
  assert.equal(directory.seq, 3);
});

Deno.test("peer directory treats a delta from a new registry epoch as a gap", () => {
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(snapshot([peer(1)], { seq: 3 }));
  assert.deepEqual(
    directory.applyDelta(delta(4, [{ op: "joined", peer: peer(2) }], "e2")),
    { kind: "gap" },
  );
  assert.deepEqual(names(directory), ["peer1"]);
});

Deno.test("peer directory treats any delta before its first snapshot as a gap", () => {
  const directory = new PeerDirectory(SELF);
  assert.deepEqual(directory.applyDelta(delta(1, [])), { kind: "gap" });
  assert.equal(directory.size, 0);
});

Deno.test("peer directory reports who left, joined and changed when a new snapshot replaces the list", () => {
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(snapshot([peer(1, "alice"), peer(2, "bob"), peer(3, "carol")]));
  const changes = directory.applySnapshot(snapshot(
    [peer(1, "alice"), peer(3, "carol", "10.1.1.1:9"), peer(4, "dave")],
    { epoch: "e2", seq: 0 },
  ));
  assert.deepEqual(changes, [
    { kind: "left", peer: peer(2, "bob"), reason: "timeout" },
    { kind: "updated", peer: peer(3, "carol", "10.1.1.1:9"), previous: peer(3, "carol") },
    { kind: "joined", peer: peer(4, "dave") },
  ]);
  assert.equal(directory.epoch, "e2");
  // Deltas of the new epoch now apply.
  assert.equal(directory.applyDelta(delta(1, [], "e2")).kind, "applied");
});

Deno.test("peer directory finds peers by name whatever the case or width", () => {
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(snapshot([peer(1, "Alice"), peer(2, "Zoë")]));
  assert.equal(directory.resolve("alice")?.id, idFor(1));
  assert.equal(directory.resolve("ALICE")?.id, idFor(1));
  assert.equal(directory.resolve("ａｌｉｃｅ")?.id, idFor(1));
  assert.equal(directory.resolve("zoë")?.id, idFor(2));
  assert.equal(directory.resolve("Zoe\u0308")?.id, idFor(2));
  assert.equal(directory.resolve("alicia"), undefined);
});

Deno.test("peer directory finds peers by full ID or by a unique prefix of six or more characters", () => {
  const directory = new PeerDirectory(SELF);
  const twinA = { id: "abcdefgh" + "a".repeat(44), name: "twin-a", address: "127.0.0.1:1" };
  const twinB = { id: "abcdefgz" + "a".repeat(44), name: "twin-b", address: "127.0.0.1:2" };
  const loner = { id: "zzzzzzzz" + "a".repeat(44), name: "loner", address: "127.0.0.1:3" };
  directory.applySnapshot(snapshot([twinA, twinB, loner]));

  assert.equal(directory.resolve(twinA.id), twinA);
  assert.equal(directory.resolve(twinB.id), twinB);
  assert.equal(directory.resolve("abcdefgh"), twinA);
  assert.equal(directory.resolve("abcdefgz"), twinB);
  assert.equal(directory.resolve("zzzzzz"), loner);
  assert.equal(directory.resolve("zzzzz"), undefined, "five characters are too few");
  assert.equal(directory.resolve("abcdefg"), undefined, "ambiguous prefix");
  assert.equal(directory.resolve("abcdef"), undefined, "ambiguous prefix");
  assert.equal(directory.resolve("yyyyyy"), undefined);
});

// ---- coalesceChanges ----------------------------------------------------------------------

Deno.test("coalescing drops a peer that joined and left within one burst", () => {
  assert.deepEqual(
    coalesceChanges([
      { op: "joined", peer: peer(1) },
      { op: "left", id: idFor(1), reason: "bye" },
    ]),
    [],
  );
});

Deno.test("coalescing turns a leave followed by a join into one update", () => {
  const back = peer(1, "peer1", "10.0.0.2:7");
  assert.deepEqual(
    coalesceChanges([{ op: "left", id: idFor(1), reason: "timeout" }, {
      op: "joined",
      peer: back,
    }]),
    [{ op: "updated", peer: back }],
  );
});

Deno.test("coalescing keeps a join with the latest details of that peer", () => {
  const latest = peer(1, "peer1", "10.0.0.3:8");
  assert.deepEqual(
    coalesceChanges([
      { op: "joined", peer: peer(1) },
      { op: "updated", peer: peer(1, "peer1", "10.0.0.2:7") },
      { op: "updated", peer: latest },
    ]),
    [{ op: "joined", peer: latest }],
  );
});

Deno.test("coalescing keeps a leave of a known peer even after it was updated", () => {
  assert.deepEqual(
    coalesceChanges([
      { op: "updated", peer: peer(1) },
      { op: "left", id: idFor(1), reason: "kicked" },
    ]),
    [{ op: "left", id: idFor(1), reason: "kicked" }],
  );
});

Deno.test("coalescing keeps each peer at the place it first appeared", () => {
  const result = coalesceChanges([
    { op: "joined", peer: peer(3) },
    { op: "left", id: idFor(1), reason: "bye" },
    { op: "joined", peer: peer(2) },
    { op: "updated", peer: peer(3, "peer3", "10.0.0.1:1") },
    { op: "joined", peer: peer(4) },
    { op: "left", id: idFor(2), reason: "bye" },
  ]);
  assert.deepEqual(result, [
    { op: "joined", peer: peer(3, "peer3", "10.0.0.1:1") },
    { op: "left", id: idFor(1), reason: "bye" },
    { op: "joined", peer: peer(4) },
  ]);
});

// ---- PeerListPublisher ---------------------------------------------------------------------

/** Stands in for a peer session: decodes every frame it is sent. */
class RecordingSubscriber {
  readonly frames: Uint8Array[] = [];
  readonly messages: RegistryToPeer[] = [];
  readonly #decoder = new FrameDecoder();
  #wake: (() => void) | undefined;

  #error: unknown;

  sendEncoded(frame: Uint8Array): void {
    this.frames.push(frame);
    try {
      for (const payload of this.#decoder.push(frame)) {
        this.messages.push(decodeMessage(payload, parseRegistryToPeer));
      }
    } catch (error) {
      // Called from the publisher's timer: hand the failure to the waiting test.
      this.#error ??= error;
    }
    this.#wake?.();
  }

  /** Resolves once `count` valid messages have arrived in total. */
  async received(count: number): Promise<RegistryToPeer[]> {
    while (this.messages.length < count) {
      if (this.#error) throw this.#error;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    if (this.#error) throw this.#error;
    this.#wake = undefined;
    return this.messages;
  }
}

/** A publisher whose snapshots list `peers` as they are at that moment. */
function publisherWith(peers: PeerInfo[] | Map<string, PeerInfo>) {
  const publisher = new PeerListPublisher({
    epoch: "epoch-1",
    currentPeers: () => [...peers.values()],
  });
  return Object.assign(publisher, { [Symbol.dispose]: () => publisher.close() });
}

Deno.test("publisher sends a newcomer one snapshot of the current list", async () => {
  using publisher = publisherWith([peer(1), peer(2)]);
  const subscriber = new RecordingSubscriber();
  publisher.subscribe(subscriber);
  const [message] = await subscriber.received(1);
  assert.deepEqual(message, {
    type: "snapshot",
    epoch: "epoch-1",
    seq: 0,
    peers: [peer(1), peer(2)],
    more: false,
  });
});

Deno.test("publisher merges a burst of 50 changes into one delta frame", async () => {
  const peers: PeerInfo[] = [];
  using publisher = publisherWith(peers);
  const subscriber = new RecordingSubscriber();
  publisher.subscribe(subscriber);
  await subscriber.received(1);

  for (let i = 0; i < 50; i++) {
    peers.push(peer(i));
    publisher.publish({ op: "joined", peer: peer(i) });
  }
  const messages = await subscriber.received(2);
  assert.equal(subscriber.frames.length, 2, "snapshot plus exactly one delta frame");
  const deltaMessage = messages[1] as PeersDeltaMessage;
  assert.equal(deltaMessage.type, "peers_delta");
  assert.equal(deltaMessage.seq, 1);
  assert.equal(deltaMessage.changes.length, 50);
  assert.deepEqual(
    deltaMessage.changes,
    peers.map((p) => ({ op: "joined", peer: p })),
  );
  assert.equal(publisher.seq, 1);
});

Deno.test("publisher encodes each delta once and numbers deltas one by one", async () => {
  using publisher = publisherWith([]);
  const first = new RecordingSubscriber();
  const second = new RecordingSubscriber();
  publisher.subscribe(first);
  publisher.subscribe(second);
  await Promise.all([first.received(1), second.received(1)]);

  for (let round = 1; round <= 3; round++) {
    publisher.publish({ op: "joined", peer: peer(round) });
    await Promise.all([first.received(1 + round), second.received(1 + round)]);
  }
  const seqs = first.messages.slice(1).map((m) => (m as PeersDeltaMessage).seq);
  assert.deepEqual(seqs, [1, 2, 3]);
  for (let i = 1; i < first.frames.length; i++) {
    assert.equal(first.frames[i], second.frames[i], `delta ${i} was encoded twice`);
  }
});

Deno.test("publisher gives a late subscriber a snapshot stamped with the seq of the delta it reflects", async () => {
  const peers = [peer(1)];
  using publisher = publisherWith(peers);
  const early = new RecordingSubscriber();
  publisher.subscribe(early);
  await early.received(1);

  peers.push(peer(2));
  publisher.publish({ op: "joined", peer: peer(2) });
  const late = new RecordingSubscriber();
  publisher.subscribe(late);
  const [lateSnapshot] = await late.received(1);
  await early.received(2);

  assert.equal(lateSnapshot.type, "snapshot");
  assert.equal((lateSnapshot as SnapshotMessage).seq, publisher.seq);
  assert.equal(publisher.seq, 1);
  assert.equal((early.messages[1] as PeersDeltaMessage).seq, 1);
  assert.equal(late.messages.length, 1, "the newcomer does not also get the delta");

  // Both continue with the same next delta.
  publisher.publish({ op: "left", id: idFor(1), reason: "bye" });
  const [, , nextForEarly] = await early.received(3);
  const [, nextForLate] = await late.received(2);
  assert.deepEqual(nextForEarly, nextForLate);
  assert.equal((nextForLate as PeersDeltaMessage).seq, 2);
});

Deno.test("publisher splits a large list over several snapshot frames that a peer directory reassembles", async () => {
  const peers = Array.from({ length: SNAPSHOT_CHUNK_PEERS + 5 }, (_, i) => peer(i));
  using publisher = publisherWith(peers);
  const subscriber = new RecordingSubscriber();
  publisher.subscribe(subscriber);
  const messages = await subscriber.received(2);
  assert.deepEqual(
    messages.map((m) => [(m as SnapshotMessage).peers.length, (m as SnapshotMessage).more]),
    [[SNAPSHOT_CHUNK_PEERS, true], [5, false]],
  );
  const directory = new PeerDirectory(SELF);
  assert.equal(directory.applySnapshot(messages[0] as SnapshotMessage), null);
  assert.equal(directory.applySnapshot(messages[1] as SnapshotMessage)?.length, peers.length);
  assert.equal(directory.size, peers.length);
});

Deno.test("publisher and peer directory stay in step through joins, moves and leaves", async () => {
  const peers = new Map<string, PeerInfo>([[idFor(1), peer(1)]]);
  using publisher = publisherWith(peers);
  const subscriber = new RecordingSubscriber();
  publisher.subscribe(subscriber);
  await subscriber.received(1);
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(subscriber.messages[0] as SnapshotMessage);

  const steps: PeerChange[][] = [
    [{ op: "joined", peer: peer(2) }, { op: "joined", peer: peer(3) }],
    [{ op: "updated", peer: peer(2, "peer2", "10.0.0.2:2") }],
    [{ op: "left", id: idFor(1), reason: "bye" }, { op: "joined", peer: peer(4) }],
  ];
  for (const [i, step] of steps.entries()) {
    for (const change of step) {
      if (change.op === "left") peers.delete(change.id);
      else peers.set(change.peer.id, change.peer);
      publisher.publish(change);
    }
    const messages = await subscriber.received(2 + i);
    const outcome = directory.applyDelta(messages.at(-1) as PeersDeltaMessage);
    assert.equal(outcome.kind, "applied");
    assert.deepEqual(
      directory.list(),
      [...peers.values()].sort((a, b) => a.name.localeCompare(b.name)),
    );
  }
});

Deno.test("publisher splits more changes than one delta may carry into consecutive deltas", async () => {
  using publisher = publisherWith([]);
  const subscriber = new RecordingSubscriber();
  publisher.subscribe(subscriber);
  await subscriber.received(1);
  const count = DELTA_MAX_CHANGES + 1;
  for (let i = 0; i < count; i++) publisher.publish({ op: "joined", peer: peer(i) });
  const messages = await subscriber.received(3);
  const deltas = messages.slice(1) as PeersDeltaMessage[];
  assert.deepEqual(deltas.map((d) => [d.seq, d.changes.length]), [[1, DELTA_MAX_CHANGES], [2, 1]]);
});

Deno.test("publisher sends nothing to a subscriber that left or after it is closed", async () => {
  using publisher = publisherWith([]);
  const staying = new RecordingSubscriber();
  const leaving = new RecordingSubscriber();
  publisher.subscribe(staying);
  publisher.subscribe(leaving);
  await Promise.all([staying.received(1), leaving.received(1)]);
  publisher.unsubscribe(leaving);
  publisher.publish({ op: "joined", peer: peer(1) });
  await staying.received(2);
  assert.equal(leaving.messages.length, 1);

  publisher.publish({ op: "joined", peer: peer(2) });
  publisher.close();
  publisher.flush();
  assert.equal(staying.messages.length, 2);
});

Deno.test("a snapshot that goes on past the list limits is dropped with list_too_large", async (t) => {
  const chunk = (from: number, more: boolean): SnapshotMessage => ({
    type: "snapshot",
    epoch: "e1",
    seq: 4,
    peers: Array.from({ length: 10 }, (_, i) => peer(from + i)),
    more,
  });
  for (
    const [what, limits, why] of [
      ["by peers", { maxPeers: 25 }, /past 30 peers .*limits: 25 peers/],
      ["by bytes", { maxBytes: 3000 }, /and \d+ bytes \(limits: 200000 peers, 3000 bytes\)/],
    ] as const
  ) {
    await t.step(what, () => {
      const directory = new PeerDirectory("self", { limits });
      assert.deepEqual(directory.applySnapshot({ ...chunk(100, false), seq: 1 })?.length, 10);
      assert.equal(directory.applySnapshot(chunk(0, true)), null);
      assert.equal(directory.applySnapshot(chunk(10, true)), null);
      assert.throws(() => directory.applySnapshot(chunk(20, true)), (error: Error) => {
        assert.equal((error as { code?: string }).code, "list_too_large");
        assert.match(error.message, why);
        return true;
      });
      // The list held before is untouched, and the unfinished one is gone:
      // the next snapshot starts afresh.
      assert.equal(directory.size, 10);
      assert.equal(directory.seq, 1);
      assert.equal(directory.applySnapshot(chunk(0, false))?.length, 20);
      assert.equal(directory.size, 10);
    });
  }
});
