/**
 * Benchmarks 12 and 13: file transfers between two real peer processes
 * (`--json`, each with its data directory on disk) over an encrypted
 * loopback link.
 *
 * 12. Throughput: one file, from `accept_file` to the receiver's
 *     `file_done` (every chunk hashed, written, flushed, the whole file's
 *     SHA-256 checked, the file renamed). Baselines in the same run, taken in
 *     turn with each trial: the same bytes read from the file and written
 *     to a raw TCP socket on loopback until the reader has them all, and the
 *     SHA-256 of the file alone (read + hash). Target: ≥ 50% of the slower.
 * 13. Chat during a transfer: send → `delivered` round trips one at a time,
 *     first with the link idle, then while a big file crosses the same link.
 */

import { createHash } from "node:crypto";
import { PeerProcess, RegistryProcess } from "../../tests/support/processes.ts";
import type { BenchResult } from "../support/result.ts";
import { formatBytes, formatMs, median, percentile } from "../support/stats.ts";

const MiB = 1024 * 1024;

/** A registry and two peers that list each other, in a temp directory. */
async function filePair() {
  const dir = await Deno.makeTempDir({ prefix: "p2pchat-bench-files-" });
  const registry = await RegistryProcess.start();
  const alice = await PeerProcess.start("alice", {
    registry: registry.address,
    dataDir: `${dir}/a`,
  });
  const bob = await PeerProcess.start("bob", {
    registry: registry.address,
    dataDir: `${dir}/b`,
    args: ["--download-dir", `${dir}/in`],
  });
  // alice registered first, so bob comes to her as a join.
  await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "bob" });
  return {
    dir,
    alice,
    bob,
    async [Symbol.asyncDispose]() {
      await alice[Symbol.asyncDispose]();
      await bob[Symbol.asyncDispose]();
      await registry[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Writes `size` pseudo-random bytes (incompressible enough for a link that does not compress). */
async function makeFile(path: string, size: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const block = new Uint8Array(8 * MiB);
  for (let i = 0; i < block.length; i += 65536) {
    crypto.getRandomValues(block.subarray(i, i + 65536));
  }
  for (let written = 0; written < size;) {
    const piece = block.subarray(0, Math.min(block.length, size - written));
    let offset = 0;
    while (offset < piece.length) offset += await file.write(piece.subarray(offset));
    written += piece.length;
    block[0]++; // no two blocks alike
  }
}

/** Offers `path` to bob, accepts it, and returns seconds from accept to `file_done`. */
async function transfer(pair: Awaited<ReturnType<typeof filePair>>, path: string) {
  const { alice, bob } = pair;
  const mark = bob.mark();
  await alice.command({ cmd: "send_file", to: "bob", path });
  const offer = await bob.waitFor("file_offer", { after: mark, timeoutMs: 120_000 });
  const started = performance.now();
  await bob.command({ cmd: "accept_file", id: offer.id });
  const done = await bob.waitFor("file_done", {
    after: mark,
    test: (e) => e.id === offer.id,
    timeoutMs: 600_000,
  });
  const seconds = (performance.now() - started) / 1000;
  await Deno.remove(done.path);
  return { seconds, id: offer.id, done };
}

/** Seconds to read `path` and push its bytes through a loopback TCP socket to a reader. */
async function rawTcp(path: string): Promise<number> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const started = performance.now();
  const reading = (async () => {
    using conn = await listener.accept();
    const buffer = new Uint8Array(MiB);
    let total = 0;
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) return total;
      total += n;
    }
  })();
  {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    using file = await Deno.open(path, { read: true });
    const buffer = new Uint8Array(MiB);
    while (true) {
      const n = await file.read(buffer);
      if (n === null) break;
      let offset = 0;
      while (offset < n) offset += await conn.write(buffer.subarray(offset, n));
    }
  }
  await reading;
  return (performance.now() - started) / 1000;
}

/** Seconds to read `path` and compute its SHA-256. */
async function sha256Alone(path: string): Promise<number> {
  const started = performance.now();
  using file = await Deno.open(path, { read: true });
  const hash = createHash("sha256");
  const buffer = new Uint8Array(MiB);
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  hash.digest("hex");
  return (performance.now() - started) / 1000;
}

export async function fileThroughput(size: number, trials: number): Promise<BenchResult> {
  const transfers: number[] = [];
  const raw: number[] = [];
  const hashing: number[] = [];
  {
    await using pair = await filePair();
    const path = `${pair.dir}/payload.bin`;
    await makeFile(path, size);
    // Warm-up: opens the link, loads the file into the page cache.
    await transfer(pair, path);
    for (let trial = 0; trial < trials; trial++) {
      transfers.push((await transfer(pair, path)).seconds);
      raw.push(await rawTcp(path));
      hashing.push(await sha256Alone(path));
    }
  }
  const rate = size / median(transfers);
  const rawRate = size / median(raw);
  const shaRate = size / median(hashing);
  const slower = Math.min(rawRate, shaRate);
  return {
    id: 12,
    what: size === 256 * MiB
      ? "file transfer throughput, 256 MiB, encrypted and hashed"
      : `file transfer throughput, ${formatBytes(size)}, encrypted and hashed`,
    measured: `${formatBytes(rate)}/s (median of ${trials})`,
    baseline: `raw TCP of the same bytes ${formatBytes(rawRate)}/s; SHA-256 of the file alone ` +
      `${formatBytes(shaRate)}/s`,
    ratio: `${((rate / slower) * 100).toFixed(0)}% of the slower`,
    target: "≥ 50% of the slower of raw TCP and sha256 alone",
    met: rate >= slower / 2,
    details: { size, trials, transferSeconds: transfers, rawSeconds: raw, sha256Seconds: hashing },
  };
}

export async function chatDuringTransfer(size: number, trips: number): Promise<BenchResult> {
  const idle: number[] = [];
  const busy: number[] = [];
  let transferred = false;
  {
    await using pair = await filePair();
    const { alice, bob } = pair;
    const trip = async () => {
      const mark = alice.mark();
      const started = performance.now();
      await alice.command({ cmd: "send", to: "bob", text: "still there?" });
      const sent = await alice.waitFor("sent", { after: mark });
      await alice.waitFor("delivered", { after: mark, test: (e) => e.id === sent.id });
      return performance.now() - started;
    };
    for (let i = 0; i < 5; i++) await trip(); // opens the link, warms up
    for (let i = 0; i < trips; i++) idle.push(await trip());
    const path = `${pair.dir}/big.bin`;
    await makeFile(path, size);
    const mark = bob.mark();
    await alice.command({ cmd: "send_file", to: "bob", path });
    const offer = await bob.waitFor("file_offer", { after: mark, timeoutMs: 300_000 });
    await bob.command({ cmd: "accept_file", id: offer.id });
    await bob.waitFor("file_progress", { after: mark, timeoutMs: 60_000 });
    // Round trips while chunks flow; a trip that ends after the file does not count.
    while (!bob.events.slice(mark).some((e) => e.event === "file_done")) {
      const ms = await trip();
      if (bob.events.slice(mark).some((e) => e.event === "file_done")) break;
      busy.push(ms);
    }
    transferred = true;
  }
  const idle50 = percentile(idle, 50);
  const busy50 = busy.length ? percentile(busy, 50) : NaN;
  const busy99 = busy.length ? percentile(busy, 99) : NaN;
  return {
    id: 13,
    what: size === 1024 * MiB
      ? "chat round trip during a 1 GiB file transfer"
      : `chat round trip during a ${formatBytes(size)} file transfer`,
    measured: `p50 ${formatMs(busy50)}, p99 ${formatMs(busy99)} (${busy.length} trips)`,
    baseline: `idle link p50 ${formatMs(idle50)}, p99 ${formatMs(percentile(idle, 99))}`,
    ratio: `${(busy50 / idle50).toFixed(1)}× idle`,
    // Reported against the idle link; the issue sets no figure to meet.
    target: "(reported against an idle link)",
    met: transferred && busy.length > 0,
    details: { size, idleMs: idle, busyMs: busy },
  };
}
