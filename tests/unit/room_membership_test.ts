import assert from "node:assert/strict";
import { Identity } from "../../peer/mod.ts";
import {
  membershipProblem,
  parseMembership,
  roomIdFor,
  type RoomMembership,
  signMembership,
} from "../../protocol/mod.ts";

async function team(creator: Identity, version = 1): Promise<RoomMembership> {
  const nonce = "n-1";
  return await signMembership(creator, {
    id: await roomIdFor(creator.id, nonce),
    name: "team",
    nonce,
    version,
    members: [{ id: creator.id, name: "alice" }],
  });
}

Deno.test("a membership its creator signed verifies, and survives the wire", async () => {
  const alice = await Identity.generate();
  const room = await team(alice);
  assert.equal(await membershipProblem(room), null);
  const parsed = parseMembership(JSON.parse(JSON.stringify(room)), "room");
  assert.deepEqual(parsed, room);
  assert.equal(await membershipProblem(parsed), null);
});

Deno.test("a membership changed after signing, or signed by another key, does not verify", async () => {
  const alice = await Identity.generate();
  const bob = await Identity.generate();
  const room = await team(alice);
  const changed: [string, RoomMembership][] = [
    ["a later version", { ...room, version: 2 }],
    ["another name", { ...room, name: "team2" }],
    ["a member added", { ...room, members: [...room.members, { id: bob.id, name: "bob" }] }],
  ];
  for (const [what, forged] of changed) {
    assert.equal(await membershipProblem(forged), "it is not signed by the room's creator", what);
  }
  // bob signs a version of alice's room with alice named as creator: the signature is not hers.
  const { signature } = await team(bob);
  assert.equal(
    await membershipProblem({ ...room, signature }),
    "it is not signed by the room's creator",
  );
  // bob presents his own key for alice's ID.
  assert.equal(
    await membershipProblem({ ...room, creatorKey: bob.publicKeyBase64 }),
    "its creator key does not belong to its creator",
  );
  // bob signs alice's room ID as its creator: the ID is not his.
  const squat = await signMembership(bob, {
    id: room.id,
    name: "team",
    nonce: room.nonce,
    version: 9,
    members: [{ id: bob.id, name: "bob" }],
  });
  assert.equal(await membershipProblem(squat), "its ID is not its creator's");
});

Deno.test("a membership that lists a member twice does not verify", async () => {
  const alice = await Identity.generate();
  const nonce = "n-2";
  const twice = await signMembership(alice, {
    id: await roomIdFor(alice.id, nonce),
    name: "team",
    nonce,
    version: 1,
    members: [{ id: alice.id, name: "alice" }, { id: alice.id, name: "alice" }],
  });
  assert.equal(await membershipProblem(twice), "it lists a member twice");
});
