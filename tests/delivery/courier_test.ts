/**
 * The Courier in this process: a real link pool and a real store on disk on
 * alice's side; on bob's side a bare link pool that receives and only
 * acknowledges when the test says so, so every resend can be watched.
 */

import assert from "node:assert/strict";
import { newMessageId } from "../../protocol/mod.ts";
import { DeliveryEnd, LinkEnd } from "../support/link_end.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("messages are stored before they are sent, and resent in order after every lost link until acknowledged", async () => {
  await using dir = await tempDir();
  await using bob = await LinkEnd.start("bob");
  await using alice = await DeliveryEnd.start("alice", { dataDir: dir.path });
  alice.list(bob.info);

  const ids: string[] = [];
  for (const text of ["one", "two", "three"]) ids.push(await alice.messenger.send(bob.info, text));
  // Each send resolved once stored: all three wait in the outbox, in order.
  assert.deepEqual((await alice.store.outbox(bob.info.id)).map((m) => m.id), ids);
  await bob.waitFor(() => bob.chats().length === 3, "the first three chats");
  assert.deepEqual(bob.chats().map((c) => c.text), ["one", "two", "three"]);

  // The link drops before any ack: everything comes again, in order, on a new link.
  bob.pool.closeLinksTo(alice.info.id);
  await bob.waitFor(() => bob.chats().length === 6, "the resend after the first drop");
  assert.deepEqual(bob.chats().slice(3).map((c) => c.id), ids);
  assert.equal(bob.opened.length, 2, "alice dialled a new link");

  // Two acks; after the next drop only the third comes again.
  const link = bob.pool.openLink(alice.info.id)!;
  link.send({ type: "ack", id: ids[0] });
  link.send({ type: "ack", id: ids[1] });
  await alice.waitFor(() => alice.all("delivered").length === 2, "two deliveries");
  bob.pool.closeLinksTo(alice.info.id);
  await bob.waitFor(() => bob.chats().length === 7, "the resend after the second drop");
  assert.equal(bob.chats()[6].id, ids[2]);

  bob.pool.openLink(alice.info.id)!.send({ type: "ack", id: ids[2] });
  await alice.waitFor(() => alice.all("delivered").length === 3, "the third delivery");
  assert.deepEqual(alice.all("sent").map((e) => e.id), ids, "sent is said once per message");
  assert.deepEqual(alice.all("delivered").map((e) => e.id), ids, "delivered once, in order");
  assert.deepEqual(alice.all("delivered").map((e) => e.to.name), ["bob", "bob", "bob"]);
  assert.deepEqual(await alice.store.outbox(), [], "nothing is owed any more");
  const history = await alice.store.conversation(bob.info.id, 10);
  assert.deepEqual(history.map((m) => [m.text, m.status]), [
    ["one", "delivered"],
    ["two", "delivered"],
    ["three", "delivered"],
  ]);
});

Deno.test("a message for a peer that is not online waits as pending, said once, and goes out when it is listed", async () => {
  await using dir = await tempDir();
  await using bob = await LinkEnd.start("bob");
  await using alice = await DeliveryEnd.start("alice", { dataDir: dir.path });

  const first = await alice.messenger.send(bob.info, "are you there?");
  await alice.waitFor(() => alice.all("pending").length === 1, "pending");
  const second = await alice.messenger.send(bob.info, "hello?");
  await alice.waitFor(() => alice.all("pending").length === 2, "the second pending");
  assert.deepEqual(alice.all("pending").map((e) => e.id), [first, second], "each said once");
  assert.equal(bob.opened.length, 0, "nobody dialled an unlisted peer");

  alice.list(bob.info);
  await bob.waitFor(() => bob.chats().length === 2, "both chats");
  assert.deepEqual(bob.chats().map((c) => c.id), [first, second]);
  assert.deepEqual(alice.all("sent").map((e) => e.id), [first, second]);
  assert.equal(alice.all("pending").length, 2, "pending is not repeated");
});

Deno.test("what an earlier run left undelivered is delivered after a restart, in order, once", async () => {
  await using aliceDir = await tempDir();
  await using bobDir = await tempDir();
  await using bob = await DeliveryEnd.start("bob", { dataDir: bobDir.path });
  const ids: string[] = [];
  {
    await using alice = await DeliveryEnd.start("alice", { dataDir: aliceDir.path });
    for (const text of ["before", "the", "restart"]) {
      ids.push(await alice.messenger.send(bob.info, text));
    }
    await alice.waitFor(() => alice.all("pending").length === 3, "pending");
  }
  await using alice = await DeliveryEnd.start("alice", { dataDir: aliceDir.path });
  await alice.courier.restore();
  alice.list(bob.info);
  await alice.waitFor(() => alice.all("delivered").length === 3, "three deliveries");
  assert.deepEqual(alice.all("delivered").map((e) => e.id), ids);
  await bob.inbox.settled();
  assert.deepEqual(bob.all("message").map((e) => e.text), ["before", "the", "restart"]);
  assert.deepEqual(await alice.store.outbox(), []);
});

Deno.test("a link that brings no acknowledgement within the ack timeout is replaced, and the messages go again", async () => {
  await using dir = await tempDir();
  await using bob = await LinkEnd.start("bob");
  await using alice = await DeliveryEnd.start("alice", { dataDir: dir.path, ackTimeoutMs: 300 });
  alice.list(bob.info);
  const id = await alice.messenger.send(bob.info, "anyone?");
  await bob.waitFor(() => bob.chats().length === 1, "the chat");
  const silent = bob.opened[0];

  await bob.waitFor(() => bob.chats().length === 2, "the chat again, on a new link", 3000);
  assert.ok(silent.closed, "alice closed the link that never answered");
  assert.equal(bob.received.at(-1)!.link, bob.opened.at(-1), "the copy came on the new link");
  assert.deepEqual(bob.chats().map((c) => c.id), [id, id]);
  assert.equal(alice.all("delivered").length, 0);
});

Deno.test("a read receipt is sent again on every new link until the sender records it", async () => {
  await using dir = await tempDir();
  await using bob = await LinkEnd.start("bob");
  await using alice = await DeliveryEnd.start("alice", { dataDir: dir.path });
  alice.list(bob.info);
  // A message bob sent earlier, stored as alice's Inbox stores it.
  const link = await bob.pool.linkTo(alice.info);
  link.send({
    type: "chat",
    id: newMessageId(),
    text: "read me",
    sentAt: 1,
    broadcast: false,
  });
  await bob.waitFor(() => bob.idsOf("ack").length === 1, "the ack");
  const [id] = bob.idsOf("ack");

  assert.deepEqual(await alice.messenger.markRead(id), { peerId: bob.info.id, wasUnread: true });
  await bob.waitFor(() => bob.idsOf("receipt").length === 1, "the receipt");
  assert.deepEqual(await alice.store.pendingReceipts(bob.info.id), [id], "owed until recorded");

  bob.pool.closeLinksTo(alice.info.id);
  await bob.waitFor(() => bob.idsOf("receipt").length === 2, "the receipt again");
  bob.pool.openLink(alice.info.id)!.send({ type: "receipt_ack", id });
  await alice.waitFor(
    async () => (await alice.store.pendingReceipts(bob.info.id)).length === 0,
    "the receipt to be settled",
  );

  bob.pool.closeLinksTo(alice.info.id);
  const links = bob.opened.length;
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(bob.idsOf("receipt").length, 2, "a recorded receipt is not sent again");
  assert.equal(bob.opened.length, links, "and nothing is owed, so nobody dials");
});

Deno.test("an address that answers with another key is not dialled again; the messages wait for the real peer", async () => {
  await using dir = await tempDir();
  await using bob = await LinkEnd.start("bob");
  await using carol = await LinkEnd.start("carol");
  await using alice = await DeliveryEnd.start("alice", { dataDir: dir.path });
  // The registry lists bob at carol's address: whoever answers there is not bob.
  alice.list({ ...bob.info, address: carol.info.address });
  const id = await alice.messenger.send(bob.info, "for bob only");

  const error = await alice.waitFor(() => alice.all("error")[0], "the error");
  assert.match(
    error.message,
    /^Not delivering to bob: .*stay pending until bob is reachable at another address/,
  );
  assert.deepEqual(alice.all("pending").map((e) => e.id), [id]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(carol.chats().length, 0, "carol never got the message");
  assert.equal(carol.opened.length, 0, "and no link to her was made");
  assert.equal(carol.pool.stats.handshakesFailed, 1, "her address was tried once, not again");
  assert.equal(alice.all("error").length, 1, "and the user was told once");

  alice.list(bob.info); // published at its real address again
  await bob.waitFor(() => bob.chats().length === 1, "the chat at bob's address");
  assert.equal(bob.chats()[0].id, id);
});
