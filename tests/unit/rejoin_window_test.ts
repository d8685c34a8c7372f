import assert from "node:assert/strict";
import {
  type DirectoryChange,
  PeerDirectory,
  RejoinWindow,
  rejoinWindowMs,
} from "../../peer/mod.ts";
import type {
  PeerChange,
  PeerInfo,
  PeersDeltaMessage,
  SnapshotMessage,
} from "../../protocol/mod.ts";

const SELF = "s".repeat(52);

function peer(name: string, address = "127.0.0.1:4000"): PeerInfo {
  return { id: name[0].repeat(52), name, address };
}

function snapshot(epoch: string, peers: PeerInfo[]): SnapshotMessage {
  return { type: "snapshot", epoch, seq: 0, peers, more: false };
}

function delta(epoch: string, seq: number, changes: PeerChange[]): PeersDeltaMessage {
  return { type: "peers_delta", epoch, seq, changes };
}

const names = (directory: PeerDirectory) => directory.list().map((p) => p.name);
const kinds = (changes: DirectoryChange[] | null) =>
  (changes ?? []).map((c) => `${c.kind} ${c.peer.name}`);

/** A directory that knows alice, bob and carol from registry epoch e1. */
function knownThree(): PeerDirectory {
  const directory = new PeerDirectory(SELF);
  directory.applySnapshot(snapshot("e1", [peer("alice"), peer("bob"), peer("carol")]));
  return directory;
}

const TIMING = { heartbeatMs: 10, evictAfter: 3 };

/** A restarted registry welcomes this peer, then sends its first list, of epoch `epoch`. */
function changeover(
  rejoin: RejoinWindow,
  directory: PeerDirectory,
  epoch: string,
  peers: PeerInfo[],
) {
  rejoin.registered(TIMING);
  rejoin.listArrives(epoch);
  return directory.applySnapshot(snapshot(epoch, peers));
}

Deno.test("the rejoin window is (evict-after + 1) heartbeats of the new registry plus one reconnect wait", () => {
  assert.equal(rejoinWindowMs({ heartbeatMs: 2000, evictAfter: 3 }, 10_000), 18_000);
  assert.equal(rejoinWindowMs({ heartbeatMs: 200, evictAfter: 3 }, 1000), 1800);
});

Deno.test("peers missing from a restarted registry's first list stay listed, and rejoining is no news", () => {
  const directory = knownThree();
  const closed: DirectoryChange[][] = [];
  using rejoin = new RejoinWindow({
    directory,
    reconnectMaxMs: 60_000,
    closed: (c) => closed.push(c),
  });
  // Only alice made it to the new registry so far: nobody left.
  assert.deepEqual(kinds(changeover(rejoin, directory, "e2", [peer("alice")])), []);
  assert.ok(rejoin.open);
  assert.deepEqual(names(directory), ["alice", "bob", "carol"]);
  assert.equal(directory.held, 2);
  // bob re-registers from the same address: nothing to say; carol moved: an update.
  const rejoined = directory.applyDelta(delta("e2", 1, [
    { op: "joined", peer: peer("bob") },
    { op: "joined", peer: peer("carol", "10.0.0.7:4000") },
  ]));
  assert.deepEqual(rejoined, {
    kind: "applied",
    changes: [{
      kind: "updated",
      peer: peer("carol", "10.0.0.7:4000"),
      previous: peer("carol"),
    }],
  });
  assert.equal(directory.held, 0);
  // A real newcomer still joins.
  assert.deepEqual(
    kinds(
      (directory.applyDelta(delta("e2", 2, [{ op: "joined", peer: peer("dave") }])) as {
        changes: DirectoryChange[];
      }).changes,
    ),
    ["joined dave"],
  );
  assert.deepEqual(closed, []);
});

Deno.test("peers that do not rejoin within the window leave once, with reason timeout", async () => {
  const directory = knownThree();
  const closed: DirectoryChange[][] = [];
  using rejoin = new RejoinWindow({ directory, reconnectMaxMs: 20, closed: (c) => closed.push(c) });
  changeover(rejoin, directory, "e2", [peer("alice")]); // window: 4 × 10 + 20 = 60 ms
  directory.applyDelta(delta("e2", 1, [{ op: "joined", peer: peer("bob") }]));
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(closed, [], "the window is still open");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(closed, [[{ kind: "left", peer: peer("carol"), reason: "timeout" }]]);
  assert.deepEqual(names(directory), ["alice", "bob"]);
  assert.equal(directory.lastKnown(peer("carol").id)?.name, "carol", "remembered as departed");
  assert.ok(!rejoin.open);
});

Deno.test("a held peer that says bye at the new registry leaves with its own reason", () => {
  const directory = knownThree();
  using rejoin = new RejoinWindow({ directory, reconnectMaxMs: 60_000, closed: () => {} });
  changeover(rejoin, directory, "e2", [peer("alice"), peer("bob")]);
  const outcome = directory.applyDelta(delta("e2", 1, [
    { op: "left", id: peer("bob").id, reason: "bye" },
  ]));
  assert.deepEqual(kinds((outcome as { changes: DirectoryChange[] }).changes), ["left bob"]);
  assert.equal(directory.held, 1); // carol
  assert.deepEqual(directory.dropUnrejoined().map((c) => c.peer.name), ["carol"]);
});

Deno.test("the same registry listing fewer peers is a departure, not a changeover", () => {
  const directory = knownThree();
  using rejoin = new RejoinWindow({ directory, reconnectMaxMs: 60_000, closed: () => {} });
  assert.deepEqual(kinds(changeover(rejoin, directory, "e1", [peer("alice")])), [
    "left bob",
    "left carol",
  ]);
  assert.ok(!rejoin.open);
});

Deno.test("losing the new registry again stops the clock; the held peers wait for the next one", async () => {
  const directory = knownThree();
  const closed: DirectoryChange[][] = [];
  using rejoin = new RejoinWindow({ directory, reconnectMaxMs: 0, closed: (c) => closed.push(c) });
  changeover(rejoin, directory, "e2", [peer("alice")]); // 40 ms
  rejoin.lost();
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(closed, []);
  assert.deepEqual(names(directory), ["alice", "bob", "carol"]);
  // A third registry run: everyone is held again, and bob makes it.
  changeover(rejoin, directory, "e3", [peer("alice"), peer("bob")]);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(closed.map((c) => kinds(c)), [["left carol"]]);
});

Deno.test("moving to another cluster instance (a new welcome, the same list epoch) holds nobody", async () => {
  const directory = knownThree();
  const closed: DirectoryChange[][] = [];
  using rejoin = new RejoinWindow({ directory, reconnectMaxMs: 0, closed: (c) => closed.push(c) });
  // The instance's welcome names its own run; the list it resumes is still e1.
  rejoin.registered(TIMING);
  assert.ok(!rejoin.open);
  assert.equal(directory.held, 0);
  directory.applyDelta(delta("e1", 1, [{ op: "left", id: peer("carol").id, reason: "timeout" }]));
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(closed, []);
  assert.deepEqual(names(directory), ["alice", "bob"]);
});
