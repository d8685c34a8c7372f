/**
 * The LinkPool in this process: pools on loopback ports dialling each other
 * over real TCP with the real handshake.
 */

import assert from "node:assert/strict";
import { LinkError } from "../../peer/link/mod.ts";
import { LinkEnd } from "../support/link_end.ts";
import { sampleChat } from "../support/sample_messages.ts";

Deno.test("a pool reuses the open link, and callers at the same moment share one dial", async () => {
  await using alice = await LinkEnd.start("alice");
  await using bob = await LinkEnd.start("bob");

  const links = await Promise.all(Array.from({ length: 5 }, () => alice.pool.linkTo(bob.info)));
  assert.ok(links.every((link) => link === links[0]), "one link for all five callers");
  assert.equal(await alice.pool.linkTo(bob.info), links[0], "and for the next one");
  assert.equal(alice.pool.openLink(bob.info.id), links[0]);
  await bob.waitFor(() => bob.opened.length === 1, "bob's side of the link");
  assert.equal(links[0].direction, "outgoing");
  assert.equal(bob.opened[0].direction, "incoming");
  assert.equal(bob.opened[0].peerId, alice.info.id, "bob knows who dialled: it was proven");

  // Bob answers on the link alice opened rather than dialling his own.
  assert.equal(await bob.pool.linkTo(alice.info), bob.opened[0]);
  assert.equal(alice.opened.length, 1);
});

Deno.test("a peer that answers at the listed address with another key is refused as an impostor", async () => {
  await using alice = await LinkEnd.start("alice");
  await using bob = await LinkEnd.start("bob");
  await using mallory = await LinkEnd.start("mallory");

  const listed = { ...bob.info, address: mallory.info.address };
  await assert.rejects(alice.pool.linkTo(listed), (error) => {
    assert.ok(error instanceof LinkError, String(error));
    assert.equal(error.impostor, true);
    assert.equal(error.peerId, bob.info.id);
    assert.match(error.message, /^Link to bob failed: /);
    return true;
  });
  assert.equal(alice.pool.openLink(bob.info.id), undefined);
  assert.equal(alice.opened.length, 0);
  assert.equal(alice.pool.stats.handshakesFailed, 1);
  await mallory.waitFor(() => mallory.pool.stats.handshakesFailed === 1, "mallory's refusal");
  assert.equal(mallory.opened.length, 0, "mallory got no link either");

  // The real bob is still reachable.
  const link = await alice.pool.linkTo(bob.info);
  assert.equal(link.peerId, bob.info.id);
});

Deno.test("an address where nobody listens fails with an error naming the peer and the address", async () => {
  await using alice = await LinkEnd.start("alice");
  const vacant = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${vacant.addr.port}`;
  vacant.close();
  const bob = { id: "b".repeat(52), name: "bob", address };
  await assert.rejects(alice.pool.linkTo(bob), (error) => {
    assert.ok(error instanceof LinkError, String(error));
    assert.equal(error.impostor, false, "worth retrying later");
    assert.ok(error.message.startsWith(`Cannot reach bob at ${address}: `), error.message);
    return true;
  });
  await assert.rejects(
    alice.pool.linkTo({ ...bob, address: "not an address" }),
    /^LinkError: bob has an unusable address: /,
  );
});

Deno.test("messages on a link arrive in order, and what arrived together is handed over as one batch", async () => {
  await using alice = await LinkEnd.start("alice");
  await using bob = await LinkEnd.start("bob");
  const link = await alice.pool.linkTo(bob.info);
  const sent = Array.from({ length: 300 }, (_, i) => sampleChat(`#${i}`));
  for (const message of sent) link.send(message);

  await bob.waitFor(() => bob.chats().length === sent.length, "every chat");
  assert.deepEqual(bob.chats().map((c) => c.id), sent.map((m) => m.id));
  assert.ok(bob.drains >= 1, "drained after the last one");
  assert.ok(bob.drains < sent.length, `${bob.drains} batches for ${sent.length} messages`);
});

Deno.test("both ends hear a link close, and the next message goes over a new link", async () => {
  await using alice = await LinkEnd.start("alice");
  await using bob = await LinkEnd.start("bob");
  const first = await alice.pool.linkTo(bob.info);
  await bob.waitFor(() => bob.opened.length === 1, "bob's side");

  first.close();
  await bob.waitFor(() => bob.closed.length === 1, "bob to hear it close");
  await alice.waitFor(() => alice.closed.length === 1, "alice to hear it close");
  assert.equal(alice.pool.openLink(bob.info.id), undefined);

  const second = await alice.pool.linkTo(bob.info);
  assert.notEqual(second, first);
  second.send(sampleChat("after the drop"));
  await bob.waitFor(() => bob.chats().length === 1, "the chat");
  assert.equal(bob.received[0].link, bob.opened[1], "it came on the new link");
});

Deno.test("shutting a pool down closes its links at both ends and stops accepting", async () => {
  await using bob = await LinkEnd.start("bob");
  const alice = await LinkEnd.start("alice");
  await alice.pool.linkTo(bob.info);
  await bob.waitFor(() => bob.opened.length === 1, "the link");

  await alice.pool.shutdown();
  await bob.waitFor(() => bob.closed.length === 1, "bob to see the link close");
  assert.equal(bob.pool.openLink(alice.info.id), undefined);
  await assert.rejects(bob.pool.linkTo(alice.info), LinkError);
});
