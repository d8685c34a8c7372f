/**
 * Benchmarks 1 and 2: a direct link between two real peers (encrypted, with
 * both messages stores on disk), against raw TCP in the same process.
 *
 * 1. Round trip: send → `delivered`, one message at a time, 100-byte text.
 *    Baseline: a raw TCP echo of the same bytes.
 * 2. Pipelined throughput: many messages in flight on one link until all are
 *    delivered. Baseline: the same number of raw JSON frames, each answered
 *    by a small JSON ack frame, through the same kind of socket.
 */

import { Peer, type PeerEvent } from "../../peer/mod.ts";
import { encodeMessage, FrameDecoder, newMessageId } from "../../protocol/mod.ts";
import { Registry } from "../../registry/mod.ts";
import type { BenchResult } from "../support/result.ts";
import { formatMs, formatRate, percentile } from "../support/stats.ts";

const TEXT = "x".repeat(100);

/** Two registered peers that know each other, in temp data dirs. */
async function peerPair() {
  const registry = await Registry.start({ listen: { hostname: "127.0.0.1", port: 0 } });
  const dir = await Deno.makeTempDir({ prefix: "p2pchat-bench-" });
  const waiters = new Set<(e: PeerEvent) => void>();
  const start = (name: string) =>
    Peer.start({
      name,
      dataDir: `${dir}/${name}`,
      registry: { hostname: "127.0.0.1", port: Number(registry.info().listen.split(":")[1]) },
      listen: { hostname: "127.0.0.1", port: 0 },
      onEvent: (event) => {
        for (const waiter of waiters) waiter(event);
      },
    });
  const alice = await start("alice");
  const bob = await start("bob");
  const deadline = Date.now() + 10_000;
  while (!alice.findPeer("bob") || !bob.findPeer("alice") || !alice.peers().length) {
    if (Date.now() > deadline) throw new Error("peers did not find each other");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    alice,
    bob,
    waiters,
    async [Symbol.asyncDispose]() {
      await alice.shutdown();
      await bob.shutdown();
      await registry.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Resolves when `alice` sees `delivered` for each of `ids` (ids may arrive later). */
function deliveries(waiters: Set<(e: PeerEvent) => void>) {
  const delivered = new Set<string>();
  let wake: (() => void) | undefined;
  const listener = (event: PeerEvent) => {
    if (event.event === "delivered") {
      delivered.add(event.id);
      wake?.();
    }
  };
  waiters.add(listener);
  return {
    delivered,
    async until(test: () => boolean) {
      while (!test()) await new Promise<void>((resolve) => wake = resolve);
    },
    stop: () => waiters.delete(listener),
  };
}

export async function linkRoundTrip(trips: number): Promise<BenchResult> {
  const samples: number[] = [];
  {
    await using pair = await peerPair();
    const tracker = deliveries(pair.waiters);
    for (let i = 0; i < trips + 10; i++) {
      const started = performance.now();
      const id = await pair.alice.send("bob", TEXT);
      await tracker.until(() => tracker.delivered.has(id!));
      if (i >= 10) samples.push(performance.now() - started); // the first ones open the link
    }
    tracker.stop();
  }
  const raw = await rawEcho(trips);
  const p50 = percentile(samples, 50);
  const raw50 = percentile(raw, 50);
  return {
    id: 1,
    what: "direct-link round trip (send → delivered), 100-byte text",
    measured: `p50 ${formatMs(p50)}, p99 ${formatMs(percentile(samples, 99))}`,
    baseline: `raw TCP echo p50 ${formatMs(raw50)}, p99 ${formatMs(percentile(raw, 99))}`,
    ratio: `${(p50 / raw50).toFixed(1)}×`,
    target: "p50 ≤ 2× raw",
    met: p50 <= 2 * raw50,
    details: { trips, samplesMs: samples, rawMs: raw },
  };
}

export async function linkThroughput(messages: number): Promise<BenchResult> {
  let seconds: number;
  {
    await using pair = await peerPair();
    const tracker = deliveries(pair.waiters);
    // Open the link first: this measures the link, not its handshake.
    const first = await pair.alice.send("bob", TEXT);
    await tracker.until(() => tracker.delivered.has(first!));
    const started = performance.now();
    const sends: Promise<string | undefined>[] = [];
    for (let i = 0; i < messages; i++) sends.push(pair.alice.send("bob", TEXT));
    await Promise.all(sends);
    await tracker.until(() => tracker.delivered.size >= messages + 1);
    seconds = (performance.now() - started) / 1000;
    tracker.stop();
  }
  const rawSeconds = await rawPipelined(messages);
  const rate = messages / seconds;
  const rawRate = messages / rawSeconds;
  return {
    id: 2,
    what: "pipelined messages per second on one link",
    measured: formatRate(rate),
    baseline: `raw JSON frames + acks ${formatRate(rawRate)}`,
    ratio: `${((rate / rawRate) * 100).toFixed(0)}% of raw`,
    target: "≥ 100,000 msg/s and ≥ 50% of raw",
    met: rate >= 100_000 && rate >= rawRate / 2,
    details: { messages, seconds, rawSeconds, rate, rawRate },
  };
}

/** A TCP echo server and client in this process; returns round-trip times. */
async function rawEcho(trips: number): Promise<number[]> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    conn.setNoDelay(true);
    const buffer = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      await conn.write(buffer.subarray(0, n));
    }
    conn.close();
  })();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  conn.setNoDelay(true);
  const frame = encodeMessage({
    type: "chat",
    id: newMessageId(),
    text: TEXT,
    sentAt: Date.now(),
    broadcast: false,
  });
  const buffer = new Uint8Array(4096);
  const samples: number[] = [];
  for (let i = 0; i < trips + 10; i++) {
    const started = performance.now();
    await conn.write(frame);
    let got = 0;
    while (got < frame.length) got += (await conn.read(buffer)) ?? frame.length;
    if (i >= 10) samples.push(performance.now() - started);
  }
  conn.close();
  await serving;
  return samples;
}

/**
 * Raw pipelined baseline: `messages` JSON frames written as fast as the
 * socket takes them; the receiver decodes each and answers with a JSON ack
 * frame; done when every ack is back. Returns seconds.
 */
async function rawPipelined(messages: number): Promise<number> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    const decoder = new FrameDecoder();
    const text = new TextDecoder();
    const buffer = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      const acks: Uint8Array[] = [];
      for (const payload of decoder.push(buffer.subarray(0, n))) {
        const message = JSON.parse(text.decode(payload));
        acks.push(encodeMessage({ type: "ack", id: message.id }));
      }
      const out = new Uint8Array(acks.reduce((sum, a) => sum + a.length, 0));
      let offset = 0;
      for (const ack of acks) {
        out.set(ack, offset);
        offset += ack.length;
      }
      for (let written = 0; written < out.length;) {
        written += await conn.write(out.subarray(written));
      }
    }
    conn.close();
  })();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const started = performance.now();
  const reading = (async () => {
    const decoder = new FrameDecoder();
    const text = new TextDecoder();
    const buffer = new Uint8Array(65536);
    let acked = 0;
    while (acked < messages) {
      const n = await conn.read(buffer);
      if (n === null) break;
      for (const payload of decoder.push(buffer.subarray(0, n))) {
        JSON.parse(text.decode(payload));
        acked++;
      }
    }
  })();
  const batch: Uint8Array[] = [];
  for (let i = 0; i < messages; i++) {
    batch.push(
      encodeMessage({
        type: "chat",
        id: newMessageId(),
        text: TEXT,
        sentAt: Date.now(),
        broadcast: false,
      }),
    );
    if (batch.length === 256 || i === messages - 1) {
      const out = new Uint8Array(batch.reduce((sum, f) => sum + f.length, 0));
      let offset = 0;
      for (const frame of batch) {
        out.set(frame, offset);
        offset += frame.length;
      }
      batch.length = 0;
      for (let written = 0; written < out.length;) {
        written += await conn.write(out.subarray(written));
      }
    }
  }
  await reading;
  const seconds = (performance.now() - started) / 1000;
  conn.close();
  await serving;
  return seconds;
}
