/**
 * Membership changes nobody authorised, sent to real peers over genuine,
 * authenticated links by a member who is not the creator: a new version it
 * signed itself, a room message carrying that forgery, and — once it has
 * left — an old version replayed (with a message) to get back in. Each is
 * refused, and said so, and changes nothing.
 */

import assert from "node:assert/strict";
import { Identity } from "../../peer/mod.ts";
import { membershipTranscript, newMessageId, type RoomMembership } from "../../protocol/mod.ts";
import { waitAtMost } from "../../async/mod.ts";
import { TestNetwork } from "../support/network.ts";
import type { PeerProcess } from "../support/processes.ts";
import { dialGenuine, LinkClient } from "./link_client.ts";

/** A genuine link to `peer` as `identity`: the peer knows it is talking to that key. */
async function linkAs(identity: Identity, peer: PeerProcess) {
  const client = await LinkClient.connect(peer.listen);
  const channel = await dialGenuine(client, identity, peer.id);
  return { client, channel };
}

async function roomsOf(peer: PeerProcess) {
  const mark = peer.mark();
  await peer.command({ cmd: "rooms" });
  return (await peer.waitFor("rooms", { after: mark })).rooms;
}

Deno.test("a member cannot forge a membership, nor replay an old one once it has left", async () => {
  await using network = await TestNetwork.start();
  // bob's key is in the test's hands: the test plays bob, a member gone rogue.
  const { identity: bob } = await Identity.loadOrCreate(`${network.dir}/bob`);
  const alice = await network.peer("alice");
  const carol = await network.peer("carol");
  const bobProcess = await network.peer("bob");
  await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "bob" });
  await carol.waitFor("peer_joined", { test: (e) => e.peer.name === "bob" });
  assert.equal(await bobProcess.quit(), 0);

  // alice makes #team while bob is away, so she owes bob version 1 …
  await alice.command({ cmd: "room_create", name: "team", members: ["bob", "carol"] });
  const created = await carol.waitFor("room", { test: (e) => e.name === "team" });
  // … and pushes it the moment "bob" links to her: the test now holds a genuine version 1.
  const toAlice = await linkAs(bob, alice);
  let genuine: RoomMembership | undefined;
  await waitAtMost(
    (async () => {
      for (let m = await toAlice.channel.receive(); m; m = await toAlice.channel.receive()) {
        if (m.type === "room_state") return genuine = m.room;
      }
    })(),
    10_000,
  );
  assert.ok(genuine, "alice pushed the room's membership to bob");
  assert.equal(genuine.version, 1);

  // Forgery: bob signs version 2 himself, adding mallory and dropping alice.
  const mallory = await Identity.generate();
  const unsigned = {
    ...genuine,
    version: 2,
    members: [...genuine.members.filter((m) => m.name !== "alice"), {
      id: mallory.id,
      name: "mallory",
    }],
  };
  const forged: RoomMembership = {
    ...unsigned,
    signature: (await bob.sign(membershipTranscript(unsigned))).toBase64(),
  };
  const toCarol = await linkAs(bob, carol);
  let mark = carol.mark();
  toCarol.channel.send({ type: "room_state", room: forged });
  const refusal = await carol.waitFor("error", { after: mark });
  assert.match(
    refusal.message,
    /^Refused a change to room #team from bob: it is not signed by the room's creator$/,
  );
  mark = carol.mark();
  const forgedPost = newMessageId();
  toCarol.channel.send({
    type: "chat",
    id: forgedPost,
    text: "alice is out, mallory is in",
    sentAt: Date.now(),
    broadcast: false,
    room: forged,
  });
  const refusedPost = await carol.waitFor("error", { after: mark });
  assert.match(refusedPost.message, /^Refused a message in room #team from bob: /);
  let [team] = await roomsOf(carol);
  assert.equal(team.version, 1);
  assert.deepEqual(team.members.map((m) => m.name), ["alice", "bob", "carol"]);

  // bob leaves (asking alice over his link); alice signs version 2 without him.
  toAlice.channel.send({ type: "room_leave", room: created.id });
  await carol.waitFor("room", { test: (e) => e.id === created.id && e.version === 2 });

  // Replay: bob sends carol the genuine version 1, which lists him, and posts under it.
  mark = carol.mark();
  toCarol.channel.send({ type: "room_state", room: genuine });
  const replay = await carol.waitFor("error", { after: mark });
  assert.match(
    replay.message,
    /^Refused room #team version 1 from bob: this peer holds version 2, and an old version replayed changes nothing$/,
  );
  mark = carol.mark();
  toCarol.channel.send({
    type: "chat",
    id: newMessageId(),
    text: "still here",
    sentAt: Date.now(),
    broadcast: false,
    room: genuine,
  });
  const outsider = await carol.waitFor("error", { after: mark });
  assert.match(
    outsider.message,
    /^Refused a message in room #team from bob: bob is not a member of version 2$/,
  );
  [team] = await roomsOf(carol);
  assert.equal(team.version, 2);
  assert.deepEqual(team.members.map((m) => m.name), ["alice", "carol"]);
  mark = carol.mark();
  await carol.command({ cmd: "history", with: "#team" });
  const history = await carol.waitFor("room_history", { after: mark });
  assert.deepEqual(history.messages, [], "nothing bob sent was kept");
  assert.ok(!carol.all("message").some((e) => e.room), "nor shown");

  // carol keeps serving the real members.
  await alice.command({ cmd: "room_send", room: "team", text: "all good?" });
  await carol.waitFor("message", { test: (e) => e.text === "all good?" });
  for (const { client } of [toAlice, toCarol]) await client[Symbol.asyncDispose]();
});
