/**
 * Rooms between real peer processes: a room of three where a post reaches
 * everyone with its room named, a member who is offline getting what was
 * posted meanwhile (once, in order) when it is back, leaving, the rule that
 * only the creator invites, and history per room.
 */

import assert from "node:assert/strict";
import type { PeerEvent } from "../../peer/mod.ts";
import { TestNetwork } from "../support/network.ts";
import type { PeerProcess } from "../support/processes.ts";

type RoomEvent = Extract<PeerEvent, { event: "room" }>;

/** Starts alice, bob and carol, and has alice create `#team` with the other two. */
async function teamOfThree(network: TestNetwork) {
  const alice = await network.peer("alice");
  const bob = await network.peer("bob");
  const carol = await network.peer("carol");
  await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "carol" });
  const marks = [bob.mark(), carol.mark()];
  await alice.command({ cmd: "room_create", name: "team", members: ["bob", "carol"] });
  const created = await alice.waitFor("room", { test: (e) => e.name === "team" });
  for (const [index, member] of [bob, carol].entries()) {
    await member.waitFor("room", { after: marks[index], test: (e) => e.id === created.id });
  }
  return { alice, bob, carol, room: created };
}

function roomMessages(peer: PeerProcess, roomId: string, after = 0) {
  return peer.events.slice(after).filter((e): e is Extract<PeerEvent, { event: "message" }> =>
    e.event === "message" && e.room?.id === roomId
  );
}

Deno.test("a room of three: the creator signs it, and a post reaches every member with its room", async () => {
  await using network = await TestNetwork.start();
  const { alice, bob, carol, room } = await teamOfThree(network);
  assert.equal(room.version, 1);
  assert.equal(room.creator.name, "alice");
  assert.deepEqual(room.members.map((m) => m.name), ["alice", "bob", "carol"]);
  const seenByBob = bob.all("room").find((e) => e.id === room.id)!;
  assert.deepEqual(seenByBob.members, room.members);

  await alice.command({ cmd: "room_send", room: "team", text: "stand-up in five" });
  for (const member of [bob, carol]) {
    const message = await member.waitFor("message", { test: (e) => e.text === "stand-up in five" });
    assert.deepEqual(message.room, { id: room.id, name: "team" });
    assert.equal(message.from.name, "alice");
    assert.equal(message.broadcast, false);
  }
  // A member posts too (by the room's ID prefix this time), and the others get it.
  await carol.command({ cmd: "room_send", room: room.id.slice(0, 8), text: "on my way" });
  for (const member of [alice, bob]) {
    const message = await member.waitFor("message", { test: (e) => e.text === "on my way" });
    assert.deepEqual(message.room, { id: room.id, name: "team" });
  }
  // A private message stays out of the room and its history.
  await bob.command({ cmd: "send", to: "alice", text: "just between us" });
  const direct = await alice.waitFor("message", { test: (e) => e.text === "just between us" });
  assert.equal(direct.room, undefined);

  let mark = bob.mark();
  await bob.command({ cmd: "rooms" });
  const listed = await bob.waitFor("rooms", { after: mark });
  assert.equal(listed.rooms.length, 1);
  assert.equal(listed.rooms[0].name, "team");
  assert.equal(listed.rooms[0].unread, 2);

  mark = bob.mark();
  await bob.command({ cmd: "history", with: "#team" });
  const history = await bob.waitFor("room_history", { after: mark });
  assert.deepEqual(
    history.messages.map((m) => [m.from.name, m.text]),
    [["alice", "stand-up in five"], ["carol", "on my way"]],
  );
  mark = alice.mark();
  await alice.command({ cmd: "history", with: "bob" });
  const withBob = await alice.waitFor("history", { after: mark });
  assert.deepEqual(withBob.messages.map((m) => m.text), ["just between us"]);

  // Reading a room message lowers the unread count.
  const first = roomMessages(bob, room.id)[0];
  await bob.command({ cmd: "read", id: first.id });
  await bob.waitFor("marked_read", { test: (e) => e.id === first.id });
  mark = bob.mark();
  await bob.command({ cmd: "rooms" });
  assert.equal((await bob.waitFor("rooms", { after: mark })).rooms[0].unread, 1);
});

Deno.test("an offline member gets the room's messages after it returns, once each, in order", async () => {
  await using network = await TestNetwork.start();
  const { alice, bob, carol, room } = await teamOfThree(network);
  assert.equal(await bob.quit(), 0);
  await alice.waitFor("peer_left", { test: (e) => e.peer.name === "bob" });

  const texts = Array.from({ length: 6 }, (_, i) => `while you were out ${i + 1}`);
  for (const text of texts.slice(0, 3)) {
    await alice.command({ cmd: "room_send", room: "team", text });
  }
  for (const text of texts.slice(3)) await carol.command({ cmd: "room_send", room: "team", text });
  for (const text of texts.slice(3)) {
    await alice.waitFor("message", { test: (e) => e.text === text });
  }
  await alice.waitFor("pending", { test: (e) => e.to.name === "bob" });

  const back = await network.peer("bob");
  const fromAlice = texts.slice(0, 3);
  const fromCarol = texts.slice(3);
  for (const text of texts) await back.waitFor("message", { test: (e) => e.text === text });
  // Every copy acknowledged: nothing is left to resend.
  for (const sender of [alice, carol]) {
    const sent = roomMessages(back, room.id).filter((m) => m.from.name === sender.name);
    for (const message of sent) {
      await sender.waitFor("delivered", {
        test: (e) => e.id === message.id && e.to.name === "bob",
      });
    }
  }
  const received = roomMessages(back, room.id);
  assert.equal(received.length, texts.length, "each message arrives exactly once");
  for (const [sender, expected] of [["alice", fromAlice], ["carol", fromCarol]] as const) {
    assert.deepEqual(
      received.filter((m) => m.from.name === sender).map((m) => m.text),
      expected,
      `in the order ${sender} posted them`,
    );
  }
  const mark = back.mark();
  await back.command({ cmd: "history", room: "team", limit: 50 });
  const history = await back.waitFor("room_history", { after: mark });
  assert.equal(history.messages.length, texts.length);
});

Deno.test("a member leaves: the creator signs a version without it, and it gets nothing more", async () => {
  await using network = await TestNetwork.start();
  const { alice, bob, carol, room } = await teamOfThree(network);
  const marks = { alice: alice.mark(), carol: carol.mark() };
  await bob.command({ cmd: "room_leave", room: "team" });
  const left = await bob.waitFor("room", { test: (e) => e.left });
  assert.equal(left.id, room.id);
  const isV2 = (e: RoomEvent) => e.id === room.id && e.version === 2;
  const atAlice = await alice.waitFor("room", { after: marks.alice, test: isV2 });
  assert.deepEqual(atAlice.members.map((m) => m.name), ["alice", "carol"]);
  await carol.waitFor("room", { after: marks.carol, test: isV2 });
  // bob learns its leave was applied.
  await bob.waitFor("room", { test: (e) => isV2(e) && e.left });

  const mark = bob.mark();
  await alice.command({ cmd: "room_send", room: "team", text: "after bob left" });
  await carol.waitFor("message", { test: (e) => e.text === "after bob left" });
  const delivered = await alice.waitFor("delivered", { test: (e) => e.to.name === "carol" });
  assert.ok(!alice.all("sent").some((e) => e.id === delivered.id && e.to.name === "bob"));
  await bob.command({ cmd: "room_send", room: "team", text: "can I still post?" });
  const refused = await bob.waitFor("error", { after: mark });
  assert.match(refused.message, /not in #team/);
  assert.equal(roomMessages(bob, room.id, mark).length, 0);
});

Deno.test("only the creator invites; an invited peer joins the room's next posts", async () => {
  await using network = await TestNetwork.start();
  const { alice, bob, carol, room } = await teamOfThree(network);
  const dave = await network.peer("dave");
  await bob.waitFor("peer_joined", { test: (e) => e.peer.name === "dave" });
  let mark = bob.mark();
  await bob.command({ cmd: "room_invite", room: "team", members: ["dave"] });
  assert.match((await bob.waitFor("error", { after: mark })).message, /Only #team's creator alice/);

  await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "dave" });
  await alice.command({ cmd: "room_invite", room: "team", members: ["dave"] });
  const invited = await dave.waitFor("room", { test: (e) => e.id === room.id });
  assert.equal(invited.version, 2);
  assert.deepEqual(invited.members.map((m) => m.name), ["alice", "bob", "carol", "dave"]);
  await bob.waitFor("room", { test: (e) => e.id === room.id && e.version === 2 });
  mark = dave.mark();
  await bob.command({ cmd: "room_send", room: "team", text: "welcome dave" });
  const welcome = await dave.waitFor("message", {
    after: mark,
    test: (e) => e.text === "welcome dave",
  });
  assert.deepEqual(welcome.room, { id: room.id, name: "team" });
  await carol.waitFor("message", { test: (e) => e.text === "welcome dave" });
});

Deno.test("the terminal creates a room, posts with #ROOM, lists rooms and shows a room's history", async () => {
  await using network = await TestNetwork.start();
  const bob = await network.peer("bob");
  const alice = await network.terminalPeer("alice");
  await bob.waitFor("peer_joined", { test: (e) => e.peer.name === "alice" });
  await alice.waitForOnline(1);
  let mark = alice.lines.length;
  await alice.writeLine("/room create team bob");
  await alice.waitForLine(/^\* #team \(version 1, by alice\): alice, bob$/, mark);
  const room = await bob.waitFor("room", { test: (e) => e.name === "team" });

  await alice.writeLine("#team hello room");
  const hello = await bob.waitFor("message", { test: (e) => e.text === "hello room" });
  assert.deepEqual(hello.room, { id: room.id, name: "team" });
  mark = alice.lines.length;
  await alice.writeLine("/rooms");
  await alice.waitForLine(/^\* 1 room:$/, mark);
  await alice.waitForLine(/^ {2}#team +2 members$/, mark);
  await bob.command({ cmd: "room_send", room: "team", text: "hi alice" });
  await alice.waitForLine(/^\d\d:\d\d bob → #team: hi alice$/, mark);
  // Printed is read: bob hears so, and the room has nothing unread.
  const hi = await bob.waitFor("sent", { test: (e) => e.to.name === "alice" && e.id !== hello.id });
  await bob.waitFor("read", { test: (e) => e.id === hi.id });
  mark = alice.lines.length;
  await alice.writeLine("/rooms");
  await alice.waitForLine(/^ {2}#team +2 members$/, mark);
  mark = alice.lines.length;
  await alice.writeLine("/history #team");
  await alice.waitForLine(/^\* history of #team:$/, mark);
  await alice.waitForLine(/^ {2}\d\d:\d\d you → #team: hello room(?: ✓)?$/, mark);
  await alice.waitForLine(/^ {2}\d\d:\d\d bob → #team: hi alice$/, mark);
  mark = alice.lines.length;
  await alice.writeLine("#nowhere hello?");
  await alice.waitForLine(/^! No room #nowhere is known \(see \/rooms\)$/, mark);
});
