/**
 * Benchmarks 1 and 2: a direct link between two real peers (encrypted, with
 * both messages stores on disk), against raw TCP in the same process.
 *
 * 1. Round trip: send → `delivered`, one message at a time, 100-byte text.
 *    Baselines: a raw TCP echo of the same bytes, and one durable commit of
 *    the message; a durable round trip cannot cost less than the echo plus
 *    two commits (sender's, then receiver's), its floor.
 * 2. Pipelined throughput: many messages in flight on one link until all are
 *    delivered. Baseline: the same number of raw JSON frames, each answered
 *    by a small JSON ack frame, through the same kind of socket.
 */

import { Peer, type PeerEvent } from "../../peer/mod.ts";
import { Registry } from "../../registry/mod.ts";
import { RawCommits, RawEcho, rawPipelined, TEXT } from "../support/link_baselines.ts";
import type { BenchResult } from "../support/result.ts";
import { formatMs, formatRate, median, percentile } from "../support/stats.ts";

/** Raised far above what a run sends, so that no message is refused for its rate. */
const BENCH_SENDER_LIMITS = {
  messagesPerMinute: 100_000_000,
  bytesPerMinute: 1024 ** 4,
  maxStoredBytes: 1024 ** 4,
};

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
      // What is measured is the link and the store: at the default quota (600
      // messages a minute from one sender) 20,000 messages would measure the
      // quota, refusals and resends (the run never ended once it came in).
      senderLimits: BENCH_SENDER_LIMITS,
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
  const raw: number[] = [];
  const commits: number[] = [];
  {
    await using pair = await peerPair();
    await using echo = await RawEcho.open();
    await using disk = await RawCommits.open();
    const tracker = deliveries(pair.waiters);
    // Interleaved, one of each per round, so the baselines see the same
    // moment of this shared machine as the round trip they are compared to.
    for (let i = 0; i < trips + 10; i++) {
      const started = performance.now();
      const id = await pair.alice.send("bob", TEXT);
      await tracker.until(() => tracker.delivered.has(id!));
      const trip = performance.now() - started;
      const echoed = await echo.trip();
      const committed = disk.commit();
      if (i < 10) continue; // the first ones open the link and warm everything up
      samples.push(trip);
      raw.push(echoed);
      commits.push(committed);
    }
    tracker.stop();
  }
  const p50 = percentile(samples, 50);
  const raw50 = percentile(raw, 50);
  const commit50 = percentile(commits, 50);
  const floor = raw50 + 2 * commit50;
  return {
    id: 1,
    what: "direct-link round trip (send → delivered), 100-byte text",
    measured: `p50 ${formatMs(p50)}, p99 ${formatMs(percentile(samples, 99))}`,
    baseline: `raw TCP echo p50 ${formatMs(raw50)}, p99 ${formatMs(percentile(raw, 99))}; ` +
      `one synchronous=FULL commit p50 ${formatMs(commit50)}`,
    floor: `${formatMs(floor)} (echo + 2 commits)`,
    ratio: `${(p50 / floor).toFixed(2)}× floor; ${(p50 / raw50).toFixed(1)}× raw echo`,
    target: "p50 ≤ 1.5× floor",
    met: p50 <= 1.5 * floor,
    details: { trips, samplesMs: samples, rawMs: raw, commitMs: commits, floorMs: floor },
  };
}

export async function linkThroughput(messages: number, trials: number): Promise<BenchResult> {
  const seconds: number[] = [];
  const rawSeconds: number[] = [];
  {
    await using pair = await peerPair();
    const tracker = deliveries(pair.waiters);
    // Open the link first: this measures the link, not its handshake.
    const first = await pair.alice.send("bob", TEXT);
    await tracker.until(() => tracker.delivered.has(first!));
    // Trials alternate with the baseline, so both see the same moments of the machine.
    for (let trial = 0; trial < trials; trial++) {
      const before = tracker.delivered.size;
      const started = performance.now();
      const sends: Promise<string | undefined>[] = [];
      for (let i = 0; i < messages; i++) sends.push(pair.alice.send("bob", TEXT));
      await Promise.all(sends);
      await tracker.until(() => tracker.delivered.size >= before + messages);
      seconds.push((performance.now() - started) / 1000);
      rawSeconds.push(await rawPipelined(messages));
    }
    tracker.stop();
  }
  const rate = messages / median(seconds);
  const rawRate = messages / median(rawSeconds);
  return {
    id: 2,
    what: "pipelined messages per second on one link",
    measured: `${formatRate(rate)} (median of ${trials} × ${messages.toLocaleString("en")})`,
    baseline: `raw JSON frames + acks ${formatRate(rawRate)}`,
    ratio: `${((rate / rawRate) * 100).toFixed(0)}% of raw`,
    target: "≥ 50,000 msg/s and ≥ 50% of raw",
    met: rate >= 50_000 && rate >= rawRate / 2,
    details: { messages, trials, seconds, rawSeconds, rate, rawRate },
  };
}
