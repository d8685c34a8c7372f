/**
 * A peer's link port under attack, against real processes: a burst of
 * garbage connections, idle sockets held open, one identity dialling over
 * and over, many identities from one IP, and links left idle. The target
 * ("bob") must stay alive, keep chatting with "alice", say what it refused
 * in a few lines rather than one per connection, and give its memory back.
 *
 * The attacker dials from 127.0.0.2 (`node:net` can choose the source
 * address, `Deno.connect` cannot), alice from 127.0.0.1: on loopback, two IPs.
 */

import assert from "node:assert/strict";
import net from "node:net";
import { Identity } from "../../peer/mod.ts";
import {
  type ChatMessage,
  encodeMessage,
  type HostPort,
  LINK_PROTOCOL_VERSION,
  newEphemeralKey,
  newMessageId,
  parseHostPort,
  ProtocolError,
} from "../../protocol/mod.ts";
import { mb, MemoryWatch, rssBytes } from "../support/memory_watch.ts";
import { TestNetwork } from "../support/network.ts";
import type { PeerProcess } from "../support/processes.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";
import { dialGenuine, LinkClient, sealedMessagesUntilClosed } from "./link_client.ts";

const ATTACKER_IP = "127.0.0.2";
const BURST_CONNECTIONS = 3000;
const BURST_CONCURRENCY = 40;
const IDLE_SOCKETS = 80;

/** A registry with bob (the target) and alice (everyone else). */
async function startCast(bobArgs: string[] = []) {
  await using stack = new AsyncDisposableStack();
  const network = stack.use(await TestNetwork.start(["--no-dashboard"]));
  const bob = await network.peer("bob", { args: bobArgs });
  const alice = await network.peer("alice");
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");
  const owned = stack.move();
  return { network, bob, alice, [Symbol.asyncDispose]: () => owned.disposeAsync() };
}

/** `from` sends `to` a message; it is shown there and reported delivered. */
async function chatGetsThrough(from: PeerProcess, to: PeerProcess, text: string): Promise<void> {
  const mark = from.mark();
  await from.command({ cmd: "send", to: to.name, text });
  const message = await to.waitFor("message", { test: (e) => e.text === text });
  await from.waitFor("delivered", { test: (e) => e.id === message.id, after: mark });
}

function chat(text: string): ChatMessage {
  return { type: "chat", id: newMessageId(), text, sentAt: Date.now(), broadcast: false };
}

/** A TCP connection from `localAddress` to `target`, once it is connected. */
function connectFrom(localAddress: string, target: HostPort): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: target.hostname, port: target.port, localAddress });
    socket.once("connect", () => {
      socket.off("error", reject);
      // The peer may reset a refused connection: that is its answer.
      socket.on("error", () => {});
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Resolves when `socket` is closed (by either side), closing it after `ms` at the latest. */
function closed(socket: net.Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.resume(); // read (and drop) whatever the peer answers
  });
}

/** Bytes no dialler would send: random junk, absurd lengths, half a hello, nothing at all. */
function garbage(i: number, bobId: string): Uint8Array {
  const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
  switch (i % 5) {
    case 0:
      return random(1 + (i % 200));
    case 1:
      return new Uint8Array([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]); // a 2 GiB frame, announced
    case 2: {
      const hello = encodeMessage({
        type: "link_hello",
        protocol: LINK_PROTOCOL_VERSION,
        from: "x".repeat(52),
        to: bobId,
        ephemeral: "AAAA",
      });
      return hello.subarray(0, hello.length >> 1);
    }
    case 3:
      return encodeMessage({ type: "chat", text: "no handshake" });
    default:
      return new Uint8Array(0);
  }
}

/** One garbage connection from the attacker's IP; false if it could not even connect. */
async function throwGarbage(target: HostPort, bytes: Uint8Array): Promise<boolean> {
  let socket: net.Socket;
  try {
    socket = await connectFrom(ATTACKER_IP, target);
  } catch {
    return false;
  }
  if (bytes.length > 0) socket.write(bytes);
  socket.end();
  await closed(socket, 3000);
  return true;
}

/** Bob's refusal lines after `from` in his stderr, and how many refusals they stand for. */
function refusals(bob: PeerProcess, from: number) {
  const lines = bob.stderr.slice(from).split("\n").filter((l) =>
    l.includes("incoming link refused")
  );
  const suppressed = lines.reduce(
    (sum, line) => sum + Number(/ suppressed=(\d+)/.exec(line)?.[1] ?? 0),
    0,
  );
  const kinds = new Set(
    lines.map((l) => `${/ code=(\S+)/.exec(l)?.[1]} ${/ limit=(\S+)/.exec(l)?.[1] ?? ""}`),
  );
  return { lines: lines.length, accounted: lines.length + suppressed, kinds: kinds.size };
}

async function rssWithin(pid: number, target: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let rss = await rssBytes(pid);
  while (rss > target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    rss = await rssBytes(pid);
  }
  return rss;
}

Deno.test({
  name:
    "3,000 garbage connections leave a peer alive and chatting, with a few log lines and its memory back",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using cast = await startCast();
    const { bob, alice } = cast;
    const target = parseHostPort(bob.listen);
    // Warm up the paths a chat takes, then let the heap settle before measuring.
    await chatGetsThrough(alice, bob, "before the burst");
    await chatGetsThrough(bob, alice, "and back");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await using memory = new MemoryWatch({ bob: bob.child.pid });
    const logged = bob.stderr.length;

    const started = performance.now();
    let next = 0;
    let connected = 0;
    let unreachable = 0;
    const burst = Promise.all(Array.from({ length: BURST_CONCURRENCY }, async () => {
      while (next < BURST_CONNECTIONS) {
        const i = next++;
        if (await throwGarbage(target, garbage(i, bob.id))) connected++;
        else unreachable++;
      }
    }));
    // A newcomer links to bob while the burst is on, and alice keeps chatting.
    await using carol = await cast.network.peer("carol");
    await waitUntil(() => knownPeers(carol).includes("bob"), "carol to see bob");
    await chatGetsThrough(carol, bob, "carol, during the burst");
    await chatGetsThrough(alice, bob, "alice, during the burst");
    await burst;
    const burstSeconds = (performance.now() - started) / 1000;

    // Every garbage connection is accounted for in the log, in a few lines.
    const seen = await waitUntil(() => {
      const now = refusals(bob, logged);
      return now.accounted >= connected && now;
    }, `bob's log to account for ${connected} refused connections`);
    const rssAfterBurst = await rssBytes(bob.child.pid);
    const settled = await rssWithin(bob.child.pid, memory.before.bob * 1.1, 30_000);
    await memory.stop();
    console.log(
      `burst: ${connected} garbage connections (${unreachable} could not connect) in ` +
        `${burstSeconds.toFixed(1)} s; bob logged ${seen.lines} refusal lines of ${seen.kinds} ` +
        `kinds standing for ${seen.accounted} refusals`,
    );
    console.log(
      `  bob RSS: ${mb(memory.before.bob)} before → peak ${mb(memory.peak.bob)} → ` +
        `${mb(rssAfterBurst)} right after → ${mb(settled)} settled ` +
        `(${((settled / memory.before.bob - 1) * 100).toFixed(1)}%)`,
    );

    assert.equal(unreachable, 0, "every connection reached bob's listener");
    assert.equal(seen.accounted, connected, "each refusal counted once, none left out");
    // At most one line per second per kind (plus the first of each).
    assert.ok(
      seen.lines <= seen.kinds * (Math.ceil(burstSeconds) + 2),
      `${seen.lines} lines for ${seen.kinds} kinds in ${burstSeconds.toFixed(1)} s`,
    );
    assert.ok(
      settled <= memory.before.bob * 1.1,
      `bob's RSS stayed at ${mb(settled)}, more than 10% over ${mb(memory.before.bob)}`,
    );
    await chatGetsThrough(alice, bob, "alice, after the burst");
    await chatGetsThrough(bob, carol, "bob, after the burst");
  },
});

Deno.test({
  name: "80 idle sockets from one IP, reopened as soon as they close, do not lock out a link",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using cast = await startCast();
    const { bob, alice } = cast;
    const target = parseHostPort(bob.listen);
    let holding = true;
    let opened = 0;
    // Each slot keeps one idle socket open: when bob closes it, it dials again.
    const hold = Promise.all(Array.from({ length: IDLE_SOCKETS }, async () => {
      while (holding) {
        try {
          const socket = await connectFrom(ATTACKER_IP, target);
          opened++;
          await closed(socket, 60_000);
        } catch { /* refused: dial again */ }
        if (holding) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }));
    try {
      await waitUntil(() => opened >= IDLE_SOCKETS, `${IDLE_SOCKETS} idle sockets to connect`);
      // Alice has no link to bob yet: this message needs a new one.
      await chatGetsThrough(alice, bob, "through the idle crowd");
    } finally {
      holding = false;
      // Bob closes the idle ones himself (the first-frame deadline).
      await hold;
    }
    const seen = refusals(bob, 0);
    console.log(
      `idle crowd: ${opened} sockets opened; bob logged ${seen.lines} refusal lines ` +
        `standing for ${seen.accounted} refusals`,
    );
    assert.match(bob.stderr, /incoming link refused remote=127\.0\.0\.2:\d+ code=timeout /);
    await chatGetsThrough(alice, bob, "after the idle crowd left");
  },
});

Deno.test("a peer keeps one link per identity: a new link from the same ID replaces the old", async () => {
  await using cast = await startCast();
  const { bob } = cast;
  const mallory = await Identity.generate();
  const clients: LinkClient[] = [];
  try {
    const channels = [];
    for (let i = 0; i < 10; i++) {
      const client = await LinkClient.connect(bob.listen);
      clients.push(client);
      channels.push(await dialGenuine(client, mallory, bob.id));
    }
    // The newest link works…
    const last = chat("on the newest link");
    channels.at(-1)!.send(last);
    assert.deepEqual(await channels.at(-1)!.receive(), { type: "ack", id: last.id });
    // …and every older one was closed by bob with a bye.
    for (const [i, channel] of channels.slice(0, -1).entries()) {
      assert.deepEqual(
        (await sealedMessagesUntilClosed(channel, 5000)).map((m) => m.type),
        ["bye"],
        `link ${i} of 10`,
      );
    }
    await chatGetsThrough(cast.alice, bob, "still served");
  } finally {
    for (const client of clients) await client[Symbol.asyncDispose]();
  }
});

Deno.test("links from one IP are capped: one more identity is refused until one leaves", async () => {
  await using cast = await startCast(["--max-links-per-ip", "3"]);
  const { bob } = cast;
  // Alice has not linked to bob: the three places are the strangers'.
  const clients: LinkClient[] = [];
  try {
    const channels = [];
    for (let i = 0; i < 3; i++) {
      const client = await LinkClient.connect(bob.listen);
      clients.push(client);
      channels.push(await dialGenuine(client, await Identity.generate(), bob.id));
    }
    const fourth = await LinkClient.connect(bob.listen);
    clients.push(fourth);
    const refused = await dialGenuine(fourth, await Identity.generate(), bob.id);
    assert.deepEqual(
      (await sealedMessagesUntilClosed(refused, 5000)).map((m) => [m.type, "code" in m && m.code]),
      [["error", "rate_limited"]],
    );
    await waitUntil(
      () => bob.stderr.includes("limit=links_per_ip"),
      "bob to log the links_per_ip refusal",
    );
    // The first three still work; when one leaves, a newcomer gets its place.
    const hello = chat("still linked");
    channels[0].send(hello);
    assert.deepEqual(await channels[0].receive(), { type: "ack", id: hello.id });
    channels[1].send({ type: "bye" });
    await sealedMessagesUntilClosed(channels[1], 5000);
    await waitUntil(async () => {
      const client = await LinkClient.connect(bob.listen);
      clients.push(client);
      try {
        const channel = await dialGenuine(client, await Identity.generate(), bob.id);
        const probe = chat("let in?");
        channel.send(probe);
        return (await channel.receive())?.type === "ack";
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        return false; // refused: bob has not seen the bye yet
      }
    }, "a newcomer to get the place that was freed");
  } finally {
    for (const client of clients) await client[Symbol.asyncDispose]();
  }
});

Deno.test("an idle link is closed after --link-idle-ms; a busy one stays; a silent dialler gets --link-hello-ms", async () => {
  await using cast = await startCast(["--link-idle-ms", "1000", "--link-hello-ms", "500"]);
  const { bob, alice } = cast;

  // A silent socket is timed out at the first-frame deadline, well before a
  // dialler that said hello and then stalled (the 5 s handshake step).
  await using mute = await LinkClient.connect(bob.listen);
  await using stalled = await LinkClient.connect(bob.listen);
  await stalled.sendPlain({
    type: "link_hello",
    protocol: LINK_PROTOCOL_VERSION,
    from: (await Identity.generate()).id,
    to: bob.id,
    ephemeral: (await newEphemeralKey()).publicKey.toBase64(),
  });
  const order: string[] = [];
  const [muteFrames] = await Promise.all([
    mute.plainFramesUntilClosed().finally(() => order.push("mute")),
    stalled.plainFramesUntilClosed().finally(() => order.push("stalled")),
  ]);
  assert.deepEqual(muteFrames.map((f) => [f.type, f.code]), [["error", "timeout"]]);
  assert.match(String(muteFrames[0].message), /"link_hello"/);
  assert.deepEqual(order, ["mute", "stalled"]);

  // A link that goes quiet is closed with a bye.
  const mallory = await Identity.generate();
  await using quiet = await LinkClient.connect(bob.listen);
  const quietChannel = await dialGenuine(quiet, mallory, bob.id);
  const first = chat("then silence");
  quietChannel.send(first);
  assert.deepEqual(await quietChannel.receive(), { type: "ack", id: first.id });
  assert.deepEqual(
    (await sealedMessagesUntilClosed(quietChannel, 10_000)).map((m) => m.type),
    ["bye"],
  );

  // One that keeps talking (every 300 ms for 3 s) is not.
  await using busy = await LinkClient.connect(bob.listen);
  const busyChannel = await dialGenuine(busy, await Identity.generate(), bob.id);
  for (let i = 0; i < 10; i++) {
    const message = chat(`busy ${i}`);
    busyChannel.send(message);
    assert.deepEqual(await busyChannel.receive(), { type: "ack", id: message.id }, `busy ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  // Peers do not notice: a closed idle link is dialled again when needed.
  await chatGetsThrough(alice, bob, "before idling");
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await chatGetsThrough(alice, bob, "after the idle link was closed");
  await chatGetsThrough(bob, alice, "and back");
});
